package install

import (
	"bytes"
	"encoding/json"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestInstallUserHonoursJupyterDataDir(t *testing.T) {
	data := t.TempDir()
	t.Setenv("JUPYTER_DATA_DIR", data)
	dir, err := Install(Options{Scope: User, Binary: "/opt/quire/bin/quire"})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(data, "kernels", "quire"); dir != want {
		t.Fatalf("dir = %s, want %s", dir, want)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "kernel.json"))
	if err != nil {
		t.Fatal(err)
	}
	var spec Spec
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(spec.Argv, " "); got != "/opt/quire/bin/quire kernel {connection_file}" {
		t.Errorf("argv = %q", got)
	}
	if spec.DisplayName != "Go (quire)" || spec.Language != "go" || spec.InterruptMode != "message" {
		t.Errorf("spec = %+v", spec)
	}
	for _, name := range []string{"logo-32x32.png", "logo-64x64.png"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if w := img.Bounds().Dx(); !strings.Contains(name, "32") && w != 64 || strings.Contains(name, "32") && w != 32 {
			t.Errorf("%s is %d px wide", name, w)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "logo-svg.svg")); err != nil || !bytes.Contains(b, []byte("<svg")) {
		t.Errorf("logo-svg.svg: %v", err)
	}

	if _, err := Uninstall(Options{Scope: User}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("kernelspec still there after uninstall: %v", err)
	}
	if _, err := Uninstall(Options{Scope: User}); err == nil {
		t.Fatal("second uninstall succeeded; want an error saying nothing is installed")
	}
}

func TestInstallPrefixAndName(t *testing.T) {
	prefix := t.TempDir()
	dir, err := Install(Options{Scope: Prefix, Prefix: prefix, Name: "go-course", Binary: "/bin/true"})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(prefix, "share", "jupyter", "kernels", "go-course"); dir != want {
		t.Fatalf("dir = %s, want %s", dir, want)
	}
	if _, err := Install(Options{Scope: Prefix, Prefix: prefix, Name: "../evil"}); err == nil {
		t.Fatal("a name with a path separator was accepted")
	}
}

// TestJupyterFindsKernelspec checks with the real jupyter client that the spec is found.
func TestJupyterFindsKernelspec(t *testing.T) {
	py := jupyterPython(t)
	data := t.TempDir()
	t.Setenv("JUPYTER_DATA_DIR", data)
	if _, err := Install(Options{Scope: User, Binary: "/opt/quire"}); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(py, "-c", `
from jupyter_client.kernelspec import KernelSpecManager
s = KernelSpecManager().get_kernel_spec("quire")
print(s.display_name, s.language, s.interrupt_mode, s.argv[0])`).CombinedOutput()
	if err != nil {
		t.Fatalf("jupyter_client: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "Go (quire) go message /opt/quire" {
		t.Fatalf("jupyter_client sees %q", got)
	}
}

// jupyterPython returns Debian's python3 with jupyter_client, or skips (fails when
// QUIRE_REQUIRE_JUPYTER=1).
func jupyterPython(t *testing.T) string {
	t.Helper()
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import jupyter_client").Run(); err != nil {
		if os.Getenv("QUIRE_REQUIRE_JUPYTER") == "1" {
			t.Fatalf("QUIRE_REQUIRE_JUPYTER=1 but %s cannot import jupyter_client: %v", py, err)
		}
		t.Skipf("Jupyter is not installed (%s -c 'import jupyter_client' failed); apt-get install jupyter-client to run this test", py)
	}
	return py
}

// With quire-kernel next to quire, kernel.json runs it with quire as its worker; "-" opts out.
func TestInstallUsesSiblingKernelBinary(t *testing.T) {
	t.Setenv("JUPYTER_DATA_DIR", t.TempDir())
	bin := t.TempDir()
	quire, kernel := filepath.Join(bin, "quire"), filepath.Join(bin, KernelBinaryName)
	for _, p := range []string{quire, kernel} {
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	argv := func(o Options) string {
		t.Helper()
		dir, err := Install(o)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(filepath.Join(dir, "kernel.json"))
		if err != nil {
			t.Fatal(err)
		}
		var spec Spec
		if err := json.Unmarshal(raw, &spec); err != nil {
			t.Fatal(err)
		}
		return strings.Join(spec.Argv, " ")
	}
	if got, want := argv(Options{Binary: quire}), kernel+" --worker "+quire+" {connection_file}"; got != want {
		t.Errorf("argv = %q, want %q", got, want)
	}
	if got, want := argv(Options{Binary: quire, Kernel: "-"}), quire+" kernel {connection_file}"; got != want {
		t.Errorf("with Kernel \"-\": argv = %q, want %q", got, want)
	}
	if _, err := Install(Options{Binary: quire, Kernel: filepath.Join(bin, "missing")}); err == nil {
		t.Error("a missing kernel binary was accepted")
	}
	os.Chmod(kernel, 0o644)
	if got, want := argv(Options{Binary: quire}), quire+" kernel {connection_file}"; got != want {
		t.Errorf("with a non-executable quire-kernel: argv = %q, want %q", got, want)
	}
}

func TestGoRunBinaryRecognised(t *testing.T) {
	for bin, want := range map[string]bool{
		"/tmp/go-build597173274/b001/exe/quire": true,
		"/var/tmp/go-build1/b001/exe/quire":     true,
		"/home/me/go/bin/quire":                 false,
		"/opt/exe/quire":                        false,
		"/tmp/quire-test-bin-123/quire":         false,
	} {
		if got := goRunBinary(bin); got != want {
			t.Errorf("goRunBinary(%q) = %v", bin, got)
		}
	}
}
