package kernel

import (
	"context"
	"sync"

	"github.com/quire-go/quire/backend"
)

// CommHandler receives the frontend's messages for one open comm. Its methods run on the
// kernel's comm goroutine, one at a time, in arrival order; they must not block for long.
type CommHandler interface {
	// Msg receives the data (and binary buffers) of a comm_msg.
	Msg(c *Comm, data map[string]any, buffers [][]byte)
	// Close is called when the frontend closes the comm.
	Close(c *Comm, data map[string]any)
}

// CommTarget opens a comm the frontend asked for with comm_open. It returns the comm's handler,
// or an error to refuse it (the kernel then answers with comm_close, as for an unknown target).
type CommTarget func(c *Comm, data map[string]any, buffers [][]byte) (CommHandler, error)

// Comm is one open comm. Its Send and Close publish on iopub with the last message received for
// the comm as parent.
type Comm struct {
	ID     string
	Target string

	k       *Kernel
	handler CommHandler
	mu      sync.Mutex
	parent  *Message
}

// Send publishes comm_msg with data to the frontend.
func (c *Comm) Send(data map[string]any, buffers [][]byte) {
	c.mu.Lock()
	parent := c.parent
	c.mu.Unlock()
	c.k.iopub.publish(parent, "comm_msg", map[string]any{"comm_id": c.ID, "data": nonNilMap(data)}, nil, buffers)
}

// Close publishes comm_close and forgets the comm.
func (c *Comm) Close(data map[string]any) {
	c.mu.Lock()
	parent := c.parent
	c.mu.Unlock()
	c.k.comms.remove(c.ID)
	c.k.iopub.publish(parent, "comm_close", map[string]any{"comm_id": c.ID, "data": nonNilMap(data)}, nil, nil)
}

func (c *Comm) setParent(m *Message) {
	c.mu.Lock()
	c.parent = m
	c.mu.Unlock()
}

type commRegistry struct {
	mu      sync.Mutex
	targets map[string]CommTarget
	open    map[string]*Comm
}

func newCommRegistry() *commRegistry {
	return &commRegistry{targets: make(map[string]CommTarget), open: make(map[string]*Comm)}
}

func (r *commRegistry) register(name string, t CommTarget) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if t == nil {
		delete(r.targets, name)
		return
	}
	r.targets[name] = t
}

func (r *commRegistry) target(name string) CommTarget {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.targets[name]
}

func (r *commRegistry) get(id string) *Comm {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.open[id]
}

func (r *commRegistry) add(c *Comm) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.open[c.ID] = c
}

func (r *commRegistry) remove(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.open, id)
}

func (r *commRegistry) closeAll() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.open = make(map[string]*Comm)
}

// RegisterCommTarget adds (or, with t nil, removes) a comm target frontends may open.
func (k *Kernel) RegisterCommTarget(name string, t CommTarget) { k.comms.register(name, t) }

// OpenComms returns the ids and targets of the open comms.
func (k *Kernel) OpenComms() map[string]string {
	k.comms.mu.Lock()
	defer k.comms.mu.Unlock()
	out := make(map[string]string, len(k.comms.open))
	for id, c := range k.comms.open {
		out[id] = c.Target
	}
	return out
}

type commContent struct {
	CommID     string         `json:"comm_id"`
	TargetName string         `json:"target_name"`
	Data       map[string]any `json:"data"`
}

func (k *Kernel) commInfo(_ context.Context, r *request) any {
	var c struct {
		TargetName string `json:"target_name"`
	}
	_ = r.msg.DecodeContent(&c)
	comms := map[string]any{}
	for id, target := range k.OpenComms() {
		if c.TargetName == "" || c.TargetName == target {
			comms[id] = map[string]any{"target_name": target}
		}
	}
	return map[string]any{"status": backend.StatusOK, "comms": comms}
}

func (k *Kernel) commOpen(ctx context.Context, r *request) any {
	var c commContent
	if err := r.msg.DecodeContent(&c); err != nil || c.CommID == "" {
		k.log.Warn("bad comm_open", "err", err)
		return nil
	}
	t := k.comms.target(c.TargetName)
	if t == nil {
		t = k.backendTarget(c.TargetName)
	}
	comm := &Comm{ID: c.CommID, Target: c.TargetName, k: k, parent: r.msg}
	var h CommHandler
	var err error
	if t != nil {
		h, err = t(comm, c.Data, r.msg.Buffers)
	}
	if t == nil || err != nil || h == nil {
		k.log.Warn("refused comm_open", "target_name", c.TargetName, "comm_id", c.CommID, "err", err)
		k.iopub.publish(r.msg, "comm_close", map[string]any{"comm_id": c.CommID, "data": map[string]any{}}, nil, nil)
		return nil
	}
	comm.handler = h
	k.comms.add(comm)
	if _, ok := h.(backendComm); ok {
		k.deliverBackend(ctx, r, backendCommOpen, c)
	}
	return nil
}

func (k *Kernel) commMsg(ctx context.Context, r *request) any {
	var c commContent
	if err := r.msg.DecodeContent(&c); err != nil {
		k.log.Warn("bad comm_msg", "err", err)
		return nil
	}
	comm := k.comms.get(c.CommID)
	if comm == nil {
		k.log.Warn("comm_msg for unknown comm", "comm_id", c.CommID)
		return nil
	}
	comm.setParent(r.msg)
	if _, ok := comm.handler.(backendComm); ok {
		k.deliverBackend(ctx, r, backendCommMsg, c)
		return nil
	}
	comm.handler.Msg(comm, c.Data, r.msg.Buffers)
	return nil
}

func (k *Kernel) commClose(ctx context.Context, r *request) any {
	var c commContent
	if err := r.msg.DecodeContent(&c); err != nil {
		k.log.Warn("bad comm_close", "err", err)
		return nil
	}
	comm := k.comms.get(c.CommID)
	if comm == nil {
		k.log.Warn("comm_close for unknown comm", "comm_id", c.CommID)
		return nil
	}
	k.comms.remove(c.CommID)
	comm.setParent(r.msg)
	if _, ok := comm.handler.(backendComm); ok {
		k.deliverBackend(ctx, r, backendCommClose, c)
		return nil
	}
	comm.handler.Close(comm, c.Data)
	return nil
}
