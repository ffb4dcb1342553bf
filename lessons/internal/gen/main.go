// Command gen converts the lesson sources (src/NN-name.md) into the notebooks that ship in the
// binary (notebooks/NN-name.ipynb). Run it from the lessons folder with `go generate ./lessons`;
// with -check it changes nothing and fails when a notebook is stale.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/quire-go/quire/lessons/internal/author"
	"github.com/quire-go/quire/notebook"
)

func main() {
	check := flag.Bool("check", false, "only report stale notebooks")
	flag.Parse()
	if err := run(*check); err != nil {
		fmt.Fprintln(os.Stderr, "lessons gen:", err)
		os.Exit(1)
	}
}

func run(check bool) error {
	srcs, err := filepath.Glob("src/*.md")
	if err != nil {
		return err
	}
	sort.Strings(srcs)
	want := map[string][]byte{}
	for _, src := range srcs {
		b, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		name := author.NameOf(src)
		nb, _, err := author.Convert(name, b, author.Release)
		if err != nil {
			return err
		}
		out, err := notebook.Marshal(nb)
		if err != nil {
			return err
		}
		want[filepath.Join("notebooks", name+".ipynb")] = out
	}
	existing, err := filepath.Glob("notebooks/*.ipynb")
	if err != nil {
		return err
	}
	var stale []string
	for _, p := range existing {
		if _, ok := want[p]; !ok {
			stale = append(stale, p+" (no source)")
			if !check {
				if err := os.Remove(p); err != nil {
					return err
				}
			}
		}
	}
	paths := make([]string, 0, len(want))
	for p := range want {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		old, err := os.ReadFile(p)
		if err == nil && bytes.Equal(old, want[p]) {
			continue
		}
		stale = append(stale, p)
		if !check {
			if err := os.WriteFile(p, want[p], 0o644); err != nil {
				return err
			}
			fmt.Println("wrote", p)
		}
	}
	if check && len(stale) > 0 {
		return fmt.Errorf("stale notebooks (run go generate ./lessons): %v", stale)
	}
	return nil
}
