package worker

import (
	"context"
	"runtime/pprof"
	"strconv"
	"sync"
	"unsafe"
)

// Output of goroutines that outlive their cell belongs to the cell that started them, as in
// ipykernel, where output is routed by the parent header of the request that caused it. The
// worker tells which request a write comes from by the goroutine's profiler labels: each
// request runs in a goroutine labelled with its id, and a goroutine inherits the labels of
// the one that started it (interpreted go statements, and compiled code such as executors'
// goroutines). The streams then tag the bytes with their owner (wire.OwnerMarker). Goroutines
// without such labels (timer callbacks, the runtime's own) and whatever comes through the
// os.Stdout file's pipe have no owner: the supervisor shows that under the running cell.

// getProfLabel returns the current goroutine's profiler label set, as an opaque pointer shared
// by every goroutine that inherited it. It is the runtime's (runtime/proflabel.go), which keeps
// this name for packages that read it (go.dev/issue/67401).
//
//go:linkname getProfLabel runtime/pprof.runtime_getProfLabel
func getProfLabel() unsafe.Pointer

// owners maps label sets to request ids, for the last maxOwners requests.
type owners struct {
	mu    sync.RWMutex
	ids   map[unsafe.Pointer]uint64
	order []unsafe.Pointer
}

const maxOwners = 1024

// enter labels the calling goroutine (and the goroutines it will start) as request id's.
func (o *owners) enter(id uint64) {
	pprof.SetGoroutineLabels(pprof.WithLabels(context.Background(), pprof.Labels("quire_request", strconv.FormatUint(id, 10))))
	l := getProfLabel()
	if l == nil {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.ids == nil {
		o.ids = map[unsafe.Pointer]uint64{}
	}
	o.ids[l] = id
	o.order = append(o.order, l)
	if len(o.order) > maxOwners {
		delete(o.ids, o.order[0])
		o.order = o.order[1:]
	}
}

// current returns the request the calling goroutine works for, 0 if none is known.
func (o *owners) current() uint64 {
	l := getProfLabel()
	if l == nil {
		return 0
	}
	o.mu.RLock()
	defer o.mu.RUnlock()
	return o.ids[l]
}
