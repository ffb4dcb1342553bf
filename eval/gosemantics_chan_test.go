package eval

// Channel cases the lessons hit (yaegi patch 7 in third_party/yaegi/PATCHES.md).
func init() {
	goCases = append(goCases,
		goCase{
			name:   "range with index and value over a slice of channels",
			cells:  []string{"import \"fmt\"\nins := []chan int{make(chan int, 1), make(chan int, 1)}\nfor i, in := range ins {\n\tin <- i * 10\n}\nfor _, in := range ins {\n\tfmt.Println(len(in), <-in)\n}"},
			prog:   "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tins := []chan int{make(chan int, 1), make(chan int, 1)}\n\tfor i, in := range ins {\n\t\tin <- i * 10\n\t}\n\tfor _, in := range ins {\n\t\tfmt.Println(len(in), <-in)\n\t}\n}\n",
			stdout: "1 0\n1 10\n",
		},
		goCase{
			name:   "return <-ch",
			cells:  []string{"import \"fmt\"\nfunc recv(ch <-chan string) string { return <-ch }\nch := make(chan string, 2)\nch <- \"a\"\nch <- \"b\"\nfmt.Println(recv(ch), recv(ch))"},
			prog:   "package main\n\nimport \"fmt\"\n\nfunc recv(ch <-chan string) string { return <-ch }\n\nfunc main() {\n\tch := make(chan string, 2)\n\tch <- \"a\"\n\tch <- \"b\"\n\tfmt.Println(recv(ch), recv(ch))\n}\n",
			stdout: "a b\n",
		},
		goCase{
			name:   "return <-ch inside a closure",
			cells:  []string{"import \"fmt\"\nch := make(chan int, 3)\nch <- 1\nch <- 2\nch <- 3\nnext := func() int { return <-ch }\nget := func(c chan int) (int, bool) { v, ok := <-c; return v, ok }\na := next()\nfunc() { fmt.Println(a, next(), func() int { return <-ch }()) }()\nclose(ch)\nfmt.Println(get(ch))"},
			prog:   "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tch := make(chan int, 3)\n\tch <- 1\n\tch <- 2\n\tch <- 3\n\tnext := func() int { return <-ch }\n\tget := func(c chan int) (int, bool) { v, ok := <-c; return v, ok }\n\ta := next()\n\tfunc() { fmt.Println(a, next(), func() int { return <-ch }()) }()\n\tclose(ch)\n\tfmt.Println(get(ch))\n}\n",
			stdout: "1 2 3\n0 false\n",
		},
		goCase{
			name:   "a received value read through a pointer taken before",
			cells:  []string{"import \"fmt\"\nch := make(chan int, 2)\nch <- 1\nch <- 2\nx := <-ch\np := &x\nx = <-ch\nfmt.Println(*p, x)"},
			prog:   "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tch := make(chan int, 2)\n\tch <- 1\n\tch <- 2\n\tx := <-ch\n\tp := &x\n\tx = <-ch\n\tfmt.Println(*p, x)\n}\n",
			stdout: "2 2\n",
		},
	)
}
