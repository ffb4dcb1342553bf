package compiled

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/quire-go/quire/eval/cell"
)

// The direct path: most cells import only the standard library and quire's embedded packages,
// and build with default flags. For those the Builder runs the compiler and the linker itself
// (the tools go build would run), with an import configuration computed once per set of
// imports by `go list -export -deps` (which also builds what is missing into Go's build cache).
// That skips the go command's start-up and its staleness checks of every dependency, about half
// of a warm build's CPU time. Anything else, or any failure of the path itself, goes through go
// build.

// directImports returns the sorted imports of files, and whether the direct path can build them.
func directImports(files map[string]string, flags Flags) ([]string, bool) {
	if flags.Race || flags.GCFlags != "" || flags.LDFlags != "" || flags.Tags != "" || flags.Trimpath {
		return nil, false
	}
	set := map[string]bool{}
	for name, src := range files {
		paths, err := cell.Imports(name, src)
		if err != nil {
			return nil, false // let go build report it
		}
		for _, p := range paths {
			if p == "C" {
				return nil, false
			}
			first, _, _ := strings.Cut(p, "/")
			if strings.Contains(first, ".") && !strings.HasPrefix(p, Module+"/") {
				return nil, false // another module: go build resolves it
			}
			set[p] = true
		}
	}
	out := make([]string, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	sort.Strings(out)
	return out, true
}

// buildDirect compiles and links the work directory's files into out.
func (b *Builder) buildDirect(ctx context.Context, tc *Toolchain, names, imports []string, out string) error {
	if tc.ToolDir == "" {
		return fmt.Errorf("no GOTOOLDIR")
	}
	key := strings.Join(imports, "\n")
	cfg, ok := b.cfgs[key]
	if !ok {
		var err error
		if cfg, err = b.importcfg(ctx, tc, len(b.cfgs)); err != nil {
			return err
		}
		if b.cfgs == nil {
			b.cfgs = map[string]string{}
		}
		b.cfgs[key] = cfg
	}
	obj := filepath.Join(b.work, "_main.a")
	args := []string{"-p", "main", "-importcfg", cfg, "-lang=go" + tc.LangMajor, "-complete", "-o", obj}
	for _, n := range names {
		args = append(args, filepath.Join(b.work, n))
	}
	if err := b.tool(ctx, tc, "compile", args...); err != nil {
		return err
	}
	return b.tool(ctx, tc, "link", "-importcfg", cfg, "-s", "-w", "-buildmode=exe", "-o", out, obj)
}

// importcfg lists the export data of every package the work directory's program depends on.
func (b *Builder) importcfg(ctx context.Context, tc *Toolchain, n int) (string, error) {
	cmd := exec.CommandContext(ctx, tc.Go, "list", "-export", "-deps", "-f", "{{if .Export}}packagefile {{.ImportPath}}={{.Export}}{{end}}", ".")
	cmd.Dir = b.work
	cmd.Env = buildEnv(Flags{})
	cmd.WaitDelay = 5 * time.Second
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	outb, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go list -export: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	var lines []string
	for _, l := range strings.Split(string(outb), "\n") {
		if strings.HasPrefix(l, "packagefile ") && !strings.HasPrefix(l, "packagefile quirecell=") {
			lines = append(lines, l)
		}
	}
	path := filepath.Join(b.work, fmt.Sprintf("_importcfg%d", n))
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("writing the import configuration: %w", err)
	}
	return path, nil
}

// tool runs one of the Go tools. A failure with messages is a *BuildError (the cell's fault);
// one without is an error of the path itself.
func (b *Builder) tool(ctx context.Context, tc *Toolchain, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(tc.ToolDir, name), args...)
	cmd.Dir = b.work
	cmd.Env = buildEnv(Flags{})
	cmd.WaitDelay = 5 * time.Second
	outb, err := cmd.CombinedOutput()
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	text := strings.ReplaceAll(string(outb), b.work+string(filepath.Separator), "")
	lines := buildLines(text)
	// Errors in the cell's own positions are the cell's; anything else (a missing export
	// file, a linker problem) is the path's, and go build gets the last word.
	for _, l := range lines {
		if strings.HasPrefix(l, "cell") || strings.HasPrefix(l, "earlier") {
			return &BuildError{Lines: lines}
		}
	}
	return fmt.Errorf("%s: %v: %s", name, err, strings.TrimSpace(text))
}
