module github.com/quire-go/quire

go 1.26

require (
	github.com/go-zeromq/zmq4 v0.17.0
	github.com/google/uuid v1.6.0
	github.com/traefik/yaegi v0.16.1
	golang.org/x/sync v0.7.0
	golang.org/x/text v0.15.0
)

require (
	github.com/go-zeromq/goczmq/v4 v4.2.2 // indirect
)

replace github.com/traefik/yaegi => ./third_party/yaegi
