package executors_test

import (
	"fmt"
	"time"

	"github.com/quire-go/quire/executors"
)

func greet(t *executors.Task, name string) string {
	t.Sleep(100 * time.Millisecond)
	return "hello " + name
}

// Three threads sleep at the same time: the run takes one sleep, not three.
func ExampleThreads() {
	r := executors.Threads(executors.Each(greet, "A", "B", "C"))
	fmt.Println(r.Results, r.Wall < 250*time.Millisecond)
	// Output: [hello A hello B hello C] true
}

// Coroutines switch only where they await; the results come back in order.
func ExampleGather() {
	fetch := func(t *executors.Task) int {
		t.Sleep(100 * time.Millisecond) // await asyncio.sleep(0.1)
		return t.ID
	}
	r := executors.Gather(fetch, fetch, fetch)
	fmt.Println(r.Results, r.Wall < 250*time.Millisecond)
	// Output: [0 1 2] true
}

// Futures are read in submission order, whatever order the jobs finish in.
func ExampleNewThreadPool() {
	pool := executors.NewThreadPool(3)
	defer pool.Shutdown(true)
	var futures []*executors.Future
	for i := 1; i <= 5; i++ {
		futures = append(futures, pool.Submit(func(t *executors.Task, n int) string {
			t.Sleep(50 * time.Millisecond)
			return fmt.Sprintf("Task %d completed", n)
		}, i))
	}
	for _, f := range futures {
		res, _ := f.Result()
		fmt.Println(res)
	}
	// Output:
	// Task 1 completed
	// Task 2 completed
	// Task 3 completed
	// Task 4 completed
	// Task 5 completed
}

// Compare runs one workload under several models.
func ExampleCompare() {
	c := executors.Compare(executors.Repeat(3, executors.Sleep(100*time.Millisecond)),
		executors.Sequential, executors.Threads, executors.Gather)
	for _, r := range c.Reports {
		fmt.Printf("%s %d tasks, faster than sequential: %v\n", r.Model, r.Tasks, r.Speedup > 1.5)
	}
	// Output:
	// Sequential 3 tasks, faster than sequential: false
	// Threads 3 tasks, faster than sequential: true
	// Gather 3 tasks, faster than sequential: true
}
