// Package symtab tells the kernel process what the interpreter in the worker can call,
// without linking the interpreter: for every package the worker's yaegi symbol tables hold
// (the standard library, its unrestricted parts, and quire's own display and executors), the
// exported names they bind. The kernel uses it to filter completions, and the executors'
// list of functions that take functions to rewrite cells.
//
// The tables are generated from the worker's own tables by `go generate ./eval/internal/symtab`;
// a test fails when they are stale.
package symtab

//go:generate go run ./gen

import (
	"strings"
	"sync"
)

var (
	once   sync.Once
	byPath map[string]map[string]bool
)

// Names returns the names the interpreter binds for the package with import path p (a set,
// shared: do not modify), or nil when it has no such package.
func Names(p string) map[string]bool {
	once.Do(func() {
		byPath = make(map[string]map[string]bool, len(packages))
		for p, names := range packages {
			set := make(map[string]bool)
			for _, n := range strings.Fields(names) {
				set[n] = true
			}
			byPath[p] = set
		}
	})
	return byPath[p]
}

// Paths returns the import paths of every package the interpreter has, unsorted.
func Paths() []string {
	out := make([]string, 0, len(packages))
	for p := range packages {
		out = append(out, p)
	}
	return out
}

// FuncParamCallees is executors.FuncParamCallees: the executors functions and methods whose
// arguments may be top-level function identifiers.
func FuncParamCallees() []string { return append([]string(nil), funcParamCallees...) }
