package cell

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/traefik/yaegi/interp"
	"github.com/traefik/yaegi/stdlib"
)

// session is a minimal stand-in for the eval package's yaegi session: it evaluates plans in
// order, keeps Known up to date, and provides the host package HostPkg (GoPanic, Show).
type session struct {
	t     testing.TB
	i     *interp.Interpreter
	out   *syncBuffer
	known Known
	n     int
	decls []Decl

	mu       sync.Mutex
	goPanics []string
	shown    string
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.Reset()
}

func newSession(t testing.TB) *session {
	t.Helper()
	s := &session{t: t, out: &syncBuffer{}}
	s.known = Known{
		Imports: map[string]string{}, Funcs: map[string]bool{}, Types: map[string]bool{},
		Vars: map[string]bool{}, Consts: map[string]bool{}, Generics: map[string]bool{}, Ints: map[string]bool{},
	}
	s.i = interp.New(interp.Options{Stdout: s.out, Stderr: s.out})
	if err := s.i.Use(stdlib.Symbols); err != nil {
		t.Fatal(err)
	}
	host := map[string]reflect.Value{
		GoPanicFunc: reflect.ValueOf(func(v any) {
			if v != nil {
				s.mu.Lock()
				s.goPanics = append(s.goPanics, fmt.Sprint(v))
				s.mu.Unlock()
			}
		}),
		ShowFunc: reflect.ValueOf(func(vs ...any) {
			parts := make([]string, len(vs))
			for i, v := range vs {
				parts[i] = fmt.Sprintf("%v", v)
			}
			s.mu.Lock()
			s.shown = strings.Join(parts, ", ")
			s.mu.Unlock()
		}),
	}
	if err := s.i.Use(interp.Exports{"quire.test/host/" + HostPkg: host}); err != nil {
		t.Fatal(err)
	}
	for _, src := range []string{"import " + HostPkg + ` "quire.test/host"`, Prelude()} {
		if err := s.eval(src); err != nil {
			t.Fatalf("session setup: %v\n%s", err, src)
		}
	}
	return s
}

// eval evaluates one snippet, turning yaegi's compile-time panics into errors.
func (s *session) eval(src string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaegi panic: %v", r)
		}
	}()
	_, err = s.i.Eval(src)
	return err
}

// result of one cell.
type result struct {
	out   string // stdout and stderr of the cell
	shown string // value displayed for the trailing expression ("" if none)
	plan  *Plan
}

// run evaluates a cell and returns what it printed and showed.
func (s *session) run(src string) (result, error) {
	s.n++
	s.out.Reset()
	s.mu.Lock()
	s.shown = ""
	s.mu.Unlock()
	plan, err := Build(fmt.Sprintf("cell%d", s.n), src, s.known)
	if err != nil {
		return result{}, err
	}
	res := result{plan: plan}
	for _, seg := range plan.Segments {
		if err := s.eval(seg.Src); err != nil {
			res.out = DisplayPositions(s.out.String())
			return res, fmt.Errorf("%s\n--- segment:\n%s", DisplayPositions(err.Error()), seg.Src)
		}
		s.learn(seg.Defines)
	}
	if plan.Trailing != "" {
		if plan.Suppress {
			err = s.eval(plan.StmtSrc())
		} else if err = s.eval(plan.ShowSrc(HostPkg + "." + ShowFunc)); err != nil && strings.Contains(err.Error(), "cannot use") {
			err = s.eval(plan.StmtSrc()) // a call without a value
		}
		if err != nil {
			res.out = s.out.String()
			return res, fmt.Errorf("trailing: %s\n%s", DisplayPositions(err.Error()), plan.Trailing)
		}
	}
	res.out = DisplayPositions(s.out.String())
	s.mu.Lock()
	res.shown = s.shown
	s.mu.Unlock()
	return res, nil
}

func (s *session) learn(ds []Decl) {
	for _, d := range ds {
		s.decls = append(s.decls, d)
		switch d.Kind {
		case DeclImport:
			s.known.Imports[d.Name] = d.Path
		case DeclFunc, DeclMethod:
			s.known.Funcs[d.Name] = true
			if d.Generic {
				s.known.Generics[d.Name] = true
			}
		case DeclType:
			s.known.Types[d.Name] = true
		case DeclVar, DeclConst:
			s.known.Vars[d.Name] = true
			if d.Kind == DeclConst {
				s.known.Consts[d.Name] = true
			}
			s.known.Ints[d.Name] = d.Int
		}
	}
}

// mustRun runs a cell that must succeed.
func (s *session) mustRun(src string) result {
	s.t.Helper()
	r, err := s.run(src)
	if err != nil {
		s.t.Fatalf("cell %d failed: %v\n--- cell:\n%s\n--- output:\n%s", s.n, err, src, r.out)
	}
	return r
}

func (s *session) panics() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.goPanics...)
}

// buildErr returns the *Error of Build or fails.
func buildErr(t *testing.T, src string, known Known) *Error {
	t.Helper()
	_, err := Build("cell1", src, known)
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Build(%q) = %v, want *Error", src, err)
	}
	return e
}
