// Package jupyter adapts quire's Go Jupyter client (kernel/client) to notebook.Kernel, so
// notebooks run through a real kernel process over ZeroMQ: `quire run`, `quire lessons run`
// and `quire grade` use Command(self, "kernel", "{connection_file}").
//
// It lives apart from package notebook so that code reading or writing notebooks (lessons,
// the %lesson magic) does not link the ZeroMQ client.
package jupyter

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/quire-go/quire/kernel"
	"github.com/quire-go/quire/kernel/client"
	"github.com/quire-go/quire/notebook"
)

// Kernel is a notebook.Kernel (and Interrupter, LanguageInformer, io.Closer) over a client.
type Kernel struct {
	c    *client.Client
	own  bool
	info map[string]any
}

var (
	_ notebook.Kernel           = (*Kernel)(nil)
	_ notebook.Interrupter      = (*Kernel)(nil)
	_ notebook.LanguageInformer = (*Kernel)(nil)
)

// New wraps a connected client; Close leaves the client open (the caller owns it).
func New(c *client.Client) *Kernel { return &Kernel{c: c} }

// Start launches argv (with "{connection_file}" replaced by a fresh connection file) and
// connects to it; Close shuts the kernel down.
func Start(ctx context.Context, argv []string) (*Kernel, error) {
	c, err := client.Start(ctx, argv)
	if err != nil {
		return nil, err
	}
	k := &Kernel{c: c, own: true}
	if r, err := c.KernelInfo(ctx); err == nil {
		k.info, _ = r.Content["language_info"].(map[string]any)
	}
	return k, nil
}

// Command returns a factory that starts argv for each notebook, e.g.
// Command(os.Executable(), "kernel", "{connection_file}").
func Command(argv ...string) notebook.KernelFactory {
	return func(ctx context.Context) (notebook.Kernel, error) {
		return Start(ctx, argv)
	}
}

// Client returns the underlying client.
func (k *Kernel) Client() *client.Client { return k.c }

// Execute sends code as an execute_request and reports each iopub message to onMsg. It sends
// stop_on_error false (the client's default): notebook.Execute sends each cell after the
// previous one's reply and decides itself whether to go on after an error (AllowErrors, the
// "raises-exception" tag), which the kernel's stop-on-error window must not undo.
func (k *Kernel) Execute(ctx context.Context, code string, onMsg func(notebook.Msg)) (notebook.Reply, error) {
	opts := &client.ExecuteOptions{OnIOPub: func(m *kernel.Message) {
		if onMsg != nil {
			onMsg(notebook.Msg{Type: m.Type(), Content: content(m.Content)})
		}
	}}
	r, err := k.c.Execute(ctx, code, opts)
	if err != nil {
		return notebook.Reply{}, fmt.Errorf("execute: %w", err)
	}
	var c map[string]any
	if r.Msg != nil {
		c = content(r.Msg.Content)
	}
	return notebook.Reply{Status: r.Status(), ExecutionCount: r.ExecutionCount(), Content: c}, nil
}

// Interrupt sends interrupt_request on the control channel.
func (k *Kernel) Interrupt(ctx context.Context) error {
	_, err := k.c.Interrupt(ctx)
	return err
}

// LanguageInfo returns kernel_info_reply's language_info (for kernels started by Start).
func (k *Kernel) LanguageInfo() map[string]any { return k.info }

// Close shuts down a kernel started by Start (shutdown_request, then the process is waited
// for or killed); for New it does nothing.
func (k *Kernel) Close() error {
	if !k.own {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_, _ = k.c.Shutdown(ctx, false)
	return k.c.Close()
}

// content decodes raw message content keeping numbers as json.Number, so they are written
// back to the notebook exactly.
func content(raw json.RawMessage) map[string]any {
	if len(raw) == 0 {
		return map[string]any{}
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil || m == nil {
		return map[string]any{}
	}
	return m
}
