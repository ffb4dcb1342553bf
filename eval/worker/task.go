package worker

// installProcessHost connects package executors to this worker (see process.go).
func installProcessHost(w *Worker) {}

// taskMain is `quire worker --task`: a child process of an executor.
func taskMain() int { return 2 }
