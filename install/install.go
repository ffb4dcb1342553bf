// Package install writes and removes quire's Jupyter kernelspec.
//
// A kernelspec is a directory named after the kernel (default "quire") under a "kernels"
// directory that Jupyter searches, holding kernel.json and logos. Jupyter looks in, among
// others:
//
//	user:        $JUPYTER_DATA_DIR, else $XDG_DATA_HOME/jupyter, else ~/.local/share/jupyter
//	sys-prefix:  <python sys.prefix>/share/jupyter (the environment Jupyter runs in)
//	prefix:      <DIR>/share/jupyter
//
// The files are written directly, so installing needs no Python and no `jupyter` command.
// kernel.json names the binaries by absolute path, so the kernel keeps working whatever PATH
// the notebook server has. When the small kernel binary quire-kernel sits next to quire, the
// kernel process is quire-kernel and its workers are quire's (`quire-kernel --worker QUIRE
// CONNECTION_FILE`): it starts about twice as fast and holds half the memory. Otherwise quire
// is both (`quire kernel CONNECTION_FILE`).
package install

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

//go:generate go run genlogo.go

//go:embed logo/logo-32x32.png logo/logo-64x64.png logo/logo-svg.svg
var logos embed.FS

// DisplayName is the name notebooks show for the kernel.
const DisplayName = "Go (quire)"

// DefaultName is the kernelspec's directory name, as used by `jupyter console --kernel quire`.
const DefaultName = "quire"

// Scope says which kernels directory to use.
type Scope int

const (
	User      Scope = iota // the user's Jupyter data directory
	SysPrefix              // the Python environment Jupyter runs in
	Prefix                 // an explicit prefix (Options.Prefix)
)

// Options selects where and under which name the kernelspec goes.
type Options struct {
	Scope  Scope
	Prefix string // for Scope == Prefix
	Name   string // kernelspec directory name; DefaultName when empty
	// Binary is the absolute path of the quire executable written into kernel.json;
	// os.Executable() when empty.
	Binary string
	// Kernel is the small kernel binary to run instead of `quire kernel`: "" looks for
	// KernelBinaryName next to Binary, "-" never uses one.
	Kernel string
	// Env is extra environment for the kernel process (kernel.json "env").
	Env map[string]string
}

// Spec is the content of kernel.json.
type Spec struct {
	Argv          []string          `json:"argv"`
	DisplayName   string            `json:"display_name"`
	Language      string            `json:"language"`
	InterruptMode string            `json:"interrupt_mode"`
	Env           map[string]string `json:"env,omitempty"`
	Metadata      map[string]any    `json:"metadata,omitempty"`
}

var validName = regexp.MustCompile(`^[a-zA-Z0-9._-]+$`)

// UserDataDir returns the user's Jupyter data directory, as jupyter_core computes it on Linux.
func UserDataDir() (string, error) {
	if d := os.Getenv("JUPYTER_DATA_DIR"); d != "" {
		return d, nil
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "jupyter"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("finding the Jupyter data directory: %w (set JUPYTER_DATA_DIR)", err)
	}
	return filepath.Join(home, ".local", "share", "jupyter"), nil
}

// sysPrefix finds the prefix of the Python environment Jupyter runs in: an active virtualenv
// or conda environment, else the sys.prefix of the python3 next to `jupyter`, else of python3.
func sysPrefix() (string, error) {
	for _, env := range []string{"VIRTUAL_ENV", "CONDA_PREFIX"} {
		if d := os.Getenv(env); d != "" {
			return d, nil
		}
	}
	var candidates []string
	if j, err := exec.LookPath("jupyter"); err == nil {
		candidates = append(candidates, filepath.Join(filepath.Dir(j), "python3"))
	}
	candidates = append(candidates, "python3", "/usr/bin/python3")
	for _, py := range candidates {
		out, err := exec.Command(py, "-c", "import sys; print(sys.prefix)").Output()
		if err == nil {
			if p := strings.TrimSpace(string(out)); p != "" {
				return p, nil
			}
		}
	}
	return "", errors.New("--sys-prefix needs a Python environment (none found); use --user or --prefix DIR")
}

// KernelsDir returns the kernels directory for o's scope.
func KernelsDir(o Options) (string, error) {
	switch o.Scope {
	case User:
		d, err := UserDataDir()
		if err != nil {
			return "", err
		}
		return filepath.Join(d, "kernels"), nil
	case SysPrefix:
		p, err := sysPrefix()
		if err != nil {
			return "", err
		}
		return filepath.Join(p, "share", "jupyter", "kernels"), nil
	case Prefix:
		if o.Prefix == "" {
			return "", errors.New("--prefix needs a directory")
		}
		p, err := filepath.Abs(o.Prefix)
		if err != nil {
			return "", fmt.Errorf("resolving prefix %q: %w", o.Prefix, err)
		}
		return filepath.Join(p, "share", "jupyter", "kernels"), nil
	}
	return "", fmt.Errorf("unknown install scope %d", o.Scope)
}

func (o Options) name() (string, error) {
	if o.Name == "" {
		return DefaultName, nil
	}
	if !validName.MatchString(o.Name) {
		return "", fmt.Errorf("kernel name %q: use only letters, digits, '.', '_' and '-'", o.Name)
	}
	return o.Name, nil
}

// KernelBinaryName is the file name of the small kernel binary (cmd/quire-kernel).
const KernelBinaryName = "quire-kernel"

// NewSpec returns the kernel.json content for the quire binary at bin, whose kernel process is
// the small kernel binary at kernelBin when that is not empty.
func NewSpec(bin, kernelBin string, env map[string]string) Spec {
	argv := []string{bin, "kernel", "{connection_file}"}
	if kernelBin != "" {
		argv = []string{kernelBin, "--worker", bin, "{connection_file}"}
	}
	return Spec{
		Argv:          argv,
		DisplayName:   DisplayName,
		Language:      "go",
		InterruptMode: "message",
		Env:           env,
		Metadata:      map[string]any{"debugger": true}, // the Jupyter debugger (eval/debug.go)
	}
}

// goRunBinary reports whether bin is an executable `go run` built in its temporary work
// directory ($TMPDIR/go-build*/b001/exe/NAME), which is removed when the command ends.
func goRunBinary(bin string) bool {
	dir := filepath.Dir(bin)
	return filepath.Base(dir) == "exe" && strings.HasPrefix(filepath.Base(filepath.Dir(filepath.Dir(dir))), "go-build")
}

// ReadSpec reads the kernel.json of the kernelspec directory dir.
func ReadSpec(dir string) (Spec, error) {
	var spec Spec
	raw, err := os.ReadFile(filepath.Join(dir, "kernel.json"))
	if err != nil {
		return spec, err
	}
	if err := json.Unmarshal(raw, &spec); err != nil {
		return spec, fmt.Errorf("%s: %w", filepath.Join(dir, "kernel.json"), err)
	}
	return spec, nil
}

// SiblingKernel returns the small kernel binary next to the quire binary bin, or "" when
// there is none: what Install uses by default.
func SiblingKernel(bin string) string {
	sibling := filepath.Join(filepath.Dir(bin), KernelBinaryName)
	if executable(sibling) {
		return sibling
	}
	return ""
}

func executable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

// kernelBinary returns the absolute path of the small kernel binary to use with the quire
// binary bin, or "" to run `quire kernel`.
func (o Options) kernelBinary(bin string) (string, error) {
	switch o.Kernel {
	case "-":
		return "", nil
	case "":
		return SiblingKernel(bin), nil
	}
	k, err := filepath.Abs(o.Kernel)
	if err != nil {
		return "", fmt.Errorf("resolving the kernel binary: %w", err)
	}
	if _, err := os.Stat(k); err != nil {
		return "", fmt.Errorf("the kernel binary: %w", err)
	}
	if !executable(k) {
		return "", fmt.Errorf("the kernel binary %s is not an executable file", k)
	}
	return k, nil
}

// specDir returns the kernelspec directory o names, and the kernel name.
func (o Options) specDir() (dir, name string, err error) {
	if name, err = o.name(); err != nil {
		return "", "", err
	}
	kernels, err := KernelsDir(o)
	if err != nil {
		return "", "", err
	}
	return filepath.Join(kernels, name), name, nil
}

// Install writes the kernelspec and returns its directory. An existing spec of the same name
// is replaced.
func Install(o Options) (string, error) {
	dir, _, err := o.specDir()
	if err != nil {
		return "", err
	}
	bin := o.Binary
	if bin == "" {
		if bin, err = os.Executable(); err != nil {
			return "", fmt.Errorf("finding the quire binary: %w", err)
		}
		if goRunBinary(bin) {
			return "", fmt.Errorf("this quire is a temporary build of `go run` (%s), deleted when it exits: "+
				"install the binaries first (go install ./cmd/... from the checkout), then run quire install", bin)
		}
	}
	if bin, err = filepath.Abs(bin); err != nil {
		return "", fmt.Errorf("resolving the quire binary: %w", err)
	}
	if resolved, err := filepath.EvalSymlinks(bin); err == nil {
		bin = resolved
	}
	kernelBin, err := o.kernelBinary(bin)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating kernelspec directory: %w", err)
	}
	js, err := json.MarshalIndent(NewSpec(bin, kernelBin, o.Env), "", "  ")
	if err != nil {
		return "", fmt.Errorf("encoding kernel.json: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "kernel.json"), append(js, '\n'), 0o644); err != nil {
		return "", fmt.Errorf("writing kernel.json: %w", err)
	}
	err = fs.WalkDir(logos, "logo", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := logos.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, d.Name()), data, 0o644)
	})
	if err != nil {
		return "", fmt.Errorf("writing logos: %w", err)
	}
	return dir, nil
}

// Uninstall removes the kernelspec and returns the directory it removed.
func Uninstall(o Options) (string, error) {
	dir, name, err := o.specDir()
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(dir, "kernel.json")); err != nil {
		return "", fmt.Errorf("no kernelspec %q in %s", name, filepath.Dir(dir))
	}
	if err := os.RemoveAll(dir); err != nil {
		return "", fmt.Errorf("removing %s: %w", dir, err)
	}
	return dir, nil
}
