package eval

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// goGet makes third-party modules importable from source (yaegi has no module support: it
// imports source packages from <GoPath>/src/<import path>). In a kernel-owned module under
// Options.GoPath it runs `go get module@version` and `go list -m -json all`, then links every
// module of the build list (with its dependencies) into <GoPath>/src. Only pure-Go packages
// that yaegi v0.16.1 can interpret will load (no cgo, no assembly, no Go 1.23+ features).
func (s *Supervisor) goGet(ctx context.Context, modules ...string) ([]string, error) {
	if s.opts.GoPath == "" {
		return nil, errors.New("%go get is disabled: the kernel has no GOPATH for module sources")
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return nil, errors.New("%go get needs the go command on the kernel's PATH to download modules: " + err.Error())
	}
	modDir := filepath.Join(s.opts.GoPath, "mod")
	if err := os.MkdirAll(modDir, 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", modDir, err)
	}
	if _, err := os.Stat(filepath.Join(modDir, "go.mod")); err != nil {
		if err := os.WriteFile(filepath.Join(modDir, "go.mod"), []byte("module quire.local/session\n\ngo 1.22\n"), 0o644); err != nil {
			return nil, fmt.Errorf("creating the session module: %w", err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	run := func(args ...string) ([]byte, error) {
		cmd := exec.CommandContext(ctx, goCmd, args...)
		cmd.Dir = modDir
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
		}
		return out, nil
	}
	var want []string
	for _, m := range modules {
		m = strings.TrimSpace(m)
		if m == "" {
			continue
		}
		if !strings.Contains(m, "@") {
			m += "@latest"
		}
		want = append(want, m)
	}
	if len(want) == 0 {
		return nil, errors.New("usage: %go get module@version ...")
	}
	if _, err := run(append([]string{"get"}, want...)...); err != nil {
		return nil, err
	}
	out, err := run("list", "-m", "-json", "all")
	if err != nil {
		return nil, err
	}
	type module struct {
		Path, Version, Dir string
		Main               bool
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	var added []string
	for {
		var m module
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, fmt.Errorf("reading go list output: %w", err)
		}
		if m.Main || m.Dir == "" {
			continue
		}
		link := filepath.Join(s.opts.GoPath, "src", filepath.FromSlash(m.Path))
		if target, err := os.Readlink(link); err == nil && target == m.Dir {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
			return nil, fmt.Errorf("linking %s: %w", m.Path, err)
		}
		_ = os.Remove(link)
		if err := os.Symlink(m.Dir, link); err != nil {
			return nil, fmt.Errorf("linking %s: %w", m.Path, err)
		}
		added = append(added, m.Path+"@"+m.Version)
	}
	return added, nil
}
