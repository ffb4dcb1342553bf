// Package kernel is quire's Jupyter front end: the connection file, the wire format, the five
// ZeroMQ sockets and the dispatch of Jupyter messaging protocol 5.3 requests to a
// backend.Backend. It knows nothing about the language that runs cells.
//
// # Model
//
// A Kernel binds the five channels of a connection file (go-zeromq/zmq4, tcp or ipc):
//
//   - shell (ROUTER): requests from frontends. execute_request goes on the execution queue and
//     runs on one execution goroutine, one request at a time, in arrival order. The other shell
//     requests never wait for a running cell: kernel_info, comm_info and shutdown are handled
//     in order on a second goroutine; comm_open, comm_msg and comm_close in order on a third
//     (a backend's widget callbacks may wait for the running cell: see backend.Commer);
//     complete, inspect and is_complete (which call the backend) and history (a search may
//     take time; its glob matching is linear in the text) each run on their own goroutine.
//     After an error reply to an execute_request with stop_on_error, the execute_requests
//     already queued and those arriving within Config.StopOnErrorTimeout are answered
//     "aborted" without running (ipykernel's stop_on_error_timeout: a frontend's Run All sends
//     every cell at once), except those that say stop_on_error false.
//   - control (ROUTER): served on its own goroutine, so shutdown_request and interrupt_request
//     are answered while a cell runs.
//   - stdin (ROUTER): input_request to the identity of the frontend that sent the running
//     execute_request, and its input_reply.
//   - iopub (PUB): status busy/idle around every request (parent = the request), execute_input,
//     stream, display_data, execute_result, error, comm messages. All iopub messages go through
//     one publisher that batches stream text and keeps the order of everything it publishes.
//   - heartbeat: echoes every message on its own goroutine (a ROUTER that sends each message
//     back to its sender, as ipykernel does, which REQ and DEALER clients both accept).
//
// The kernel binds through its own zmq4 transports (one per channel, "quire-tcp-N-shell"...;
// clients still connect with tcp:// and ipc://): their listener admits a connection only after
// its ZMTP signature arrives and bounds the rest of the handshake by Config.HandshakeTimeout
// (zmq4 v0.17 handshakes in its accept loop, so one silent connection would block every later
// client); it checks the peer's greeting and READY as zmq4 will and closes the connection of a
// peer zmq4 would refuse (a DEALER on iopub, a PUB on shell, another mechanism: zmq4 leaks the
// descriptor of every refused connection) or crash on (an unknown socket type, a malformed
// property); it drops a connection announcing a frame far over Config.MaxMessageBytes before
// zmq4 allocates it (zmq4 would allocate any announced size, up to a crash); it buffers reads.
// Writes go through a send queue per connection, written by its own goroutine with one writev
// per batch: zmq4's writes never block, and a peer that stops reading has its messages dropped
// once its queue reaches Config.SendHWM messages or Config.SendHWMBytes bytes, as libzmq drops
// at its per-peer ZMQ_SNDHWM, instead of blocking iopub for every subscriber (zmq4's PUB writes
// subscribers in turn) or shell replies for every client (zmq4's ROUTER holds its lock while
// it writes). Each episode is logged: when the drops start and when the peer catches up.
//
// Every request gets its reply on the socket it came in on. A handler that panics is recovered:
// the panic is logged and the request gets an error reply; the kernel keeps running.
//
// # Security
//
// Messages are signed with HMAC-SHA256 over header, parent header, metadata and content, with
// the connection file's key. Incoming signatures are checked in constant time; a message with a
// bad or missing signature, or with a signature seen among the last Config.ReplayWindow
// accepted messages, is logged (never with the key), counted in Stats and dropped. Malformed
// messages (no delimiter, missing frames, invalid JSON, over Config.MaxMessageBytes) are
// logged, counted and dropped too; when such a message is a request with a valid signature and
// a readable header, it is answered with an error reply (ename "BadRequest" or
// "MessageTooLarge"), so the frontend does not wait for ever. A request whose content has the
// wrong types gets a "BadRequest" error reply from its handler.
//
// # Output
//
// For each execute_request the backend gets a backend.Output bound to that request. Stream text
// is coalesced: consecutive text of the same stream and request is sent as one stream message
// when about 10 ms have passed, when the batch reaches a size cap, when any other iopub message
// is about to go out (so order is preserved), or when the request ends. The stream text of one
// request is capped (Config.MaxStreamBytes, 32 MiB by default): beyond it, text is dropped, and
// the frontend gets a notice on stderr when the cap is reached and the number of bytes dropped
// when the cell ends, so a cell printing without end keeps neither the frontend nor the
// kernel's memory busy. The Output stays valid after Execute returns: late output of goroutines
// is published with that request as parent.
//
// # Lifecycle
//
// New binds the sockets; Serve publishes status "starting" and serves until its context ends
// or a shutdown_request arrives. jupyter_client restarts a kernel by sending shutdown_request
// with restart=true and waiting for the process to exit, so by default Serve returns on any
// shutdown_request; with Config.RestartInProcess a restart request calls Backend.Shutdown(ctx, true)
// and keeps serving with a fresh history session and execution count.
//
// # Use
//
//	info, err := kernel.ReadConnectionFile(path)
//	k, err := kernel.New(kernel.Config{Conn: info, Backend: be, Logger: logger})
//	stop := k.HandleSignals() // SIGINT interrupts, SIGTERM shuts down
//	defer stop()
//	err = k.Serve(ctx)
package kernel
