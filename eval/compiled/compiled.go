// Package compiled builds and runs compiled cells (%%go) with the installed Go toolchain.
//
// The model: a compiled cell is a Go program (eval/cell.BuildProgram assembles it from the
// session's declarations and the cell). A Builder owns one work directory, reused for every
// cell of the session: a module "quirecell" whose go.mod requires quire and replaces it with
// quire's own source, which the binary carries (package quire's Source) and writes once into
// the cache. Nothing is fetched to build display and executors; other modules a cell imports
// resolve through the module cache or proxy as `go build -mod=mod` does. Binaries are kept in
// the cache by a hash of everything that went into them, so re-running an unchanged cell skips
// the build.
//
// Run starts the binary with its standard output read as text interleaved with display frames
// (package cellrt), so prints, display.Show, progress bars and the trailing expression's value
// reach the notebook in the order the program produced them; standard error streams line by
// line. Cancelling the context kills the program's whole process group.
package compiled

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/quire-go/quire"
	"github.com/quire-go/quire/eval/compiled/frame"
	"github.com/quire-go/quire/eval/internal/lines"
)

// Module is quire's module path; RuntimePath and ExecutorsPath are the packages programs use.
const (
	Module        = "github.com/quire-go/quire"
	RuntimePath   = Module + "/eval/compiled/cellrt"
	ExecutorsPath = Module + "/executors"
)

// MinGo is the oldest Go release that builds compiled cells: the go line of quire's go.mod,
// since every program links quire's display package.
const MinGo = "1.26"

// EnvGo names the go command to use, when set; EnvCache the cache directory.
const (
	EnvGo    = "QUIRE_GO"
	EnvCache = "QUIRE_GOCELL_CACHE"
)

// ErrNoToolchain is returned when no Go toolchain can be found.
var ErrNoToolchain = errors.New("no Go toolchain")

// Options configure a Builder.
type Options struct {
	// Go is the go command. Default: $QUIRE_GO, else go on PATH, else the GOROOT quire was
	// built with.
	Go string
	// CacheDir holds the extracted source, the work directory and built binaries. Default:
	// $QUIRE_GOCELL_CACHE, else os.UserCacheDir()/quire/gocell.
	CacheDir string
	// KeepBinaries is how many built binaries the cache keeps (the newest), and KeepBytes how
	// many bytes of them at most. Defaults: 32 binaries, 256 MiB.
	KeepBinaries int
	KeepBytes    int64
	Logger       *slog.Logger
}

// Flags are the go build flags a cell asks for.
type Flags struct {
	Race     bool
	GCFlags  string
	LDFlags  string
	Tags     string
	Trimpath bool
}

func (f Flags) args() []string {
	var a []string
	if f.Race {
		a = append(a, "-race")
	}
	if f.GCFlags != "" {
		a = append(a, "-gcflags="+f.GCFlags)
	}
	if f.LDFlags != "" {
		a = append(a, "-ldflags="+f.LDFlags)
	} else {
		// No symbol table or DWARF: links about 30% faster. Panics, tracebacks and race
		// reports keep their file:line positions (they come from the pclntab).
		a = append(a, "-ldflags=-s -w")
	}
	if f.Tags != "" {
		a = append(a, "-tags="+f.Tags)
	}
	if f.Trimpath {
		a = append(a, "-trimpath")
	}
	return a
}

// Toolchain describes the go command found.
type Toolchain struct {
	Go        string // path of the go command
	Version   string // "go1.26.8"
	LangMajor string // "1.26", for go.mod
	CC        string // C compiler (go env CC)
	ToolDir   string // compile and link (go env GOTOOLDIR)
}

// Builder builds compiled cells. It is safe for concurrent use; builds run one at a time.
type Builder struct {
	opts Options
	log  *slog.Logger

	mu      sync.Mutex
	tc      *Toolchain
	tcErr   error
	srcDir  string
	srcHash string
	work    string
	cfgs    map[string]string // import set -> importcfg file, for the direct path
}

// New returns a Builder.
func New(opts Options) *Builder {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.KeepBinaries <= 0 {
		opts.KeepBinaries = 32
	}
	if opts.KeepBytes <= 0 {
		opts.KeepBytes = 256 << 20
	}
	return &Builder{opts: opts, log: opts.Logger}
}

// Toolchain finds the go command (once) and reports what it is.
func (b *Builder) Toolchain(ctx context.Context) (*Toolchain, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.toolchain(ctx)
}

func (b *Builder) toolchain(ctx context.Context) (*Toolchain, error) {
	if b.tc != nil || b.tcErr != nil {
		return b.tc, b.tcErr
	}
	b.tc, b.tcErr = findToolchain(ctx, b.opts.Go)
	return b.tc, b.tcErr
}

func findToolchain(ctx context.Context, goCmd string) (*Toolchain, error) {
	var tried []string
	var cands []string
	if goCmd != "" {
		cands = append(cands, goCmd)
	} else {
		if v := os.Getenv(EnvGo); v != "" {
			cands = append(cands, v)
		}
		cands = append(cands, "go")
		if r := runtime.GOROOT(); r != "" { //nolint:staticcheck // the GOROOT quire was built with is a good guess
			cands = append(cands, filepath.Join(r, "bin", "go"))
		}
		cands = append(cands, "/usr/local/go/bin/go", "/usr/lib/go/bin/go")
	}
	for _, c := range cands {
		p, err := exec.LookPath(c)
		if err != nil {
			tried = append(tried, c)
			continue
		}
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		out, err := exec.CommandContext(ctx, p, "env", "-json", "GOVERSION", "CC", "GOTOOLDIR").Output()
		cancel()
		if err != nil {
			return nil, fmt.Errorf("%s env: %w", p, err)
		}
		var env struct{ GOVERSION, CC, GOTOOLDIR string }
		if err := json.Unmarshal(out, &env); err != nil {
			return nil, fmt.Errorf("%s env: %w", p, err)
		}
		tc := &Toolchain{Go: p, Version: env.GOVERSION, CC: env.CC, ToolDir: env.GOTOOLDIR}
		v := strings.TrimPrefix(env.GOVERSION, "go")
		if parts := strings.SplitN(v, ".", 3); len(parts) >= 2 {
			tc.LangMajor = parts[0] + "." + strings.TrimRightFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' })
		}
		if tc.LangMajor == "" || versionLess(tc.LangMajor, MinGo) {
			return nil, fmt.Errorf("%s is %s; compiled cells need Go %s or newer (quire's packages are written for it)", p, env.GOVERSION, MinGo)
		}
		return tc, nil
	}
	return nil, fmt.Errorf("%w: none of %s found (install Go from https://go.dev/dl, or set %s to the go command)",
		ErrNoToolchain, strings.Join(tried, ", "), EnvGo)
}

func versionLess(a, b string) bool {
	var a1, a2, b1, b2 int
	fmt.Sscanf(a, "%d.%d", &a1, &a2)
	fmt.Sscanf(b, "%d.%d", &b1, &b2)
	return a1 < b1 || a1 == b1 && a2 < b2
}

func (b *Builder) cacheDir() (string, error) {
	if b.opts.CacheDir != "" {
		return b.opts.CacheDir, nil
	}
	if d := os.Getenv(EnvCache); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		d = os.TempDir()
	}
	return filepath.Join(d, "quire", "gocell"), nil
}

// prepare extracts quire's source and creates the work directory (once).
func (b *Builder) prepare(tc *Toolchain) error {
	if b.work != "" {
		return nil
	}
	root, err := b.cacheDir()
	if err != nil {
		return err
	}
	h := sha256.New()
	var files []string
	err = fs.WalkDir(quire.Source, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && !strings.HasSuffix(p, "_test.go") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("reading quire's embedded source: %w", err)
	}
	sort.Strings(files)
	for _, f := range files {
		data, _ := quire.Source.ReadFile(f)
		fmt.Fprintf(h, "%s %d\n", f, len(data))
		h.Write(data)
	}
	b.srcHash = hex.EncodeToString(h.Sum(nil))[:16]
	b.srcDir = filepath.Join(root, "src", b.srcHash)
	if _, err := os.Stat(filepath.Join(b.srcDir, "go.mod")); err != nil {
		if err := os.MkdirAll(filepath.Join(root, "src"), 0o755); err != nil {
			return fmt.Errorf("cache: %w", err)
		}
		tmp, err := os.MkdirTemp(filepath.Join(root, "src"), ".tmp-")
		if err != nil {
			return fmt.Errorf("cache: %w", err)
		}
		for _, f := range files {
			data, _ := quire.Source.ReadFile(f)
			dst := filepath.Join(tmp, filepath.FromSlash(f))
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return fmt.Errorf("cache: %w", err)
			}
			if err := os.WriteFile(dst, data, 0o644); err != nil {
				return fmt.Errorf("cache: %w", err)
			}
		}
		mod := fmt.Sprintf("module %s\n\ngo %s\n", Module, tc.LangMajor)
		if err := os.WriteFile(filepath.Join(tmp, "go.mod"), []byte(mod), 0o644); err != nil {
			return fmt.Errorf("cache: %w", err)
		}
		if err := os.Rename(tmp, b.srcDir); err != nil {
			os.RemoveAll(tmp) // another kernel extracted the same source first
			if _, serr := os.Stat(filepath.Join(b.srcDir, "go.mod")); serr != nil {
				return fmt.Errorf("cache: %w", err)
			}
		}
	}
	if err := os.MkdirAll(filepath.Join(root, "work"), 0o755); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	cleanStale(filepath.Join(root, "work"), 24*time.Hour)
	work, err := os.MkdirTemp(filepath.Join(root, "work"), "session-")
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	mod := fmt.Sprintf("module quirecell\n\ngo %s\n\nrequire %s v0.0.0\n\nreplace %s => %s\n", tc.LangMajor, Module, Module, b.srcDir)
	if err := os.WriteFile(filepath.Join(work, "go.mod"), []byte(mod), 0o644); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	b.work = work
	return nil
}

// cleanStale removes work directories not touched for age (left by kernels that were killed).
func cleanStale(dir string, age time.Duration) {
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > age {
			os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}
}

// Close removes the work directory. Built binaries stay in the cache.
func (b *Builder) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.work == "" {
		return nil
	}
	err := os.RemoveAll(b.work)
	b.work = ""
	return err
}

// BuildError is a failed build: the compiler's messages, one per line, positions as the cell's.
type BuildError struct {
	Lines []string
}

func (e *BuildError) Error() string { return strings.Join(e.Lines, "\n") }

// Build is the result of a successful build.
type Build struct {
	Binary   string
	Cached   bool // the binary came from the cache
	Duration time.Duration
}

// Build compiles files (file name -> Go source of package main) with flags. progress, when not
// nil, receives lines worth showing while a build is slow ("go: downloading ...").
func (b *Builder) Build(ctx context.Context, files map[string]string, flags Flags, progress func(string)) (*Build, error) {
	if err := refuseWidgets(files); err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	t0 := time.Now()
	tc, err := b.toolchain(ctx)
	if err != nil {
		return nil, err
	}
	if flags.Race {
		if err := raceSupported(tc); err != nil {
			return nil, err
		}
	}
	if err := b.prepare(tc); err != nil {
		return nil, err
	}
	root, _ := b.cacheDir()
	binDir := filepath.Join(root, "bin")
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%q\n", tc.Version, b.srcHash, flags.args())
	mod, _ := os.ReadFile(filepath.Join(b.work, "go.mod"))
	h.Write(mod)
	for _, n := range names {
		fmt.Fprintf(h, "\x00%s\x00%s", n, files[n])
	}
	key := hex.EncodeToString(h.Sum(nil))[:24]
	bin := filepath.Join(binDir, key)
	if _, err := os.Stat(bin); err == nil {
		now := time.Now()
		_ = os.Chtimes(bin, now, now)
		return &Build{Binary: bin, Cached: true, Duration: time.Since(t0)}, nil
	}

	// The work directory holds exactly this cell's files.
	ents, _ := os.ReadDir(b.work)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".go") {
			os.Remove(filepath.Join(b.work, e.Name()))
		}
	}
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(b.work, n), []byte(files[n]), 0o644); err != nil {
			return nil, fmt.Errorf("writing the cell's program: %w", err)
		}
	}
	tmp := bin + ".tmp" + fmt.Sprint(os.Getpid())
	var err2 error
	if imports, ok := directImports(files, flags); ok {
		err2 = b.buildDirect(ctx, tc, names, imports, tmp)
		var be *BuildError
		if err2 != nil && !errors.As(err2, &be) && ctx.Err() == nil {
			// The direct path failed for a reason of its own (say, the build cache was
			// cleaned under it): forget its import configuration and let go build decide.
			b.log.Debug("compiled cell: direct build failed, using go build", "err", err2)
			b.cfgs = nil
			err2 = b.goBuild(ctx, tc, flags, tmp, progress)
		}
	} else {
		err2 = b.goBuild(ctx, tc, flags, tmp, progress)
	}
	if err2 != nil {
		os.Remove(tmp)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err2
	}
	if err := os.Rename(tmp, bin); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	b.prune(binDir)
	return &Build{Binary: bin, Duration: time.Since(t0)}, nil
}

func buildEnv(flags Flags) []string {
	env := make([]string, 0, len(os.Environ())+5)
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "GOFLAGS", "GOWORK", "GOTOOLCHAIN", "CGO_ENABLED", frame.EnvFrames:
			continue
		}
		env = append(env, kv)
	}
	cgo := "0"
	if flags.Race {
		cgo = "1"
	}
	return append(env, "GOFLAGS=-mod=mod", "GOWORK=off", "GOTOOLCHAIN=local", "CGO_ENABLED="+cgo)
}

// raceSupported checks what -race needs: cgo and a C compiler.
func raceSupported(tc *Toolchain) error {
	cc := tc.CC
	if cc == "" {
		cc = "gcc"
	}
	if f := strings.Fields(cc); len(f) > 0 {
		cc = f[0]
	}
	if _, err := exec.LookPath(cc); err != nil {
		return fmt.Errorf("-race needs cgo and a C compiler, and %q is not installed (on Debian: apt-get install gcc); run the cell without -race", cc)
	}
	switch runtime.GOOS + "/" + runtime.GOARCH {
	case "linux/amd64", "linux/arm64", "linux/ppc64le", "linux/s390x", "linux/riscv64", "linux/loong64",
		"darwin/amd64", "darwin/arm64", "freebsd/amd64", "netbsd/amd64", "windows/amd64":
		return nil
	}
	return fmt.Errorf("-race is not supported on %s/%s", runtime.GOOS, runtime.GOARCH)
}

// goBuild runs go build in the work directory.
func (b *Builder) goBuild(ctx context.Context, tc *Toolchain, flags Flags, out string, progress func(string)) error {
	args := append([]string{"build", "-o", out}, flags.args()...)
	args = append(args, ".")
	cmd := exec.CommandContext(ctx, tc.Go, args...)
	cmd.Dir = b.work
	cmd.Env = buildEnv(flags)
	cmd.WaitDelay = 5 * time.Second
	var stderr bytes.Buffer
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	cmd.Stdout = pw
	done := make(chan struct{})
	go func() {
		defer close(done)
		lines.Copy(pr, func(chunk string) {
			for _, line := range strings.SplitAfter(chunk, "\n") {
				if progress != nil && strings.HasPrefix(line, "go: downloading ") {
					progress(line)
					continue
				}
				stderr.WriteString(line)
			}
		})
	}()
	err := cmd.Run()
	pw.Close()
	<-done
	if err != nil {
		lines := buildLines(stderr.String())
		if len(lines) == 0 {
			lines = []string{fmt.Sprintf("go build: %v", err)}
		}
		return &BuildError{Lines: lines}
	}
	return nil
}

// buildLines keeps the compiler's messages: no "# quirecell" headers, no blank lines.
func buildLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) == "" || strings.HasPrefix(l, "# ") {
			continue
		}
		out = append(out, strings.TrimPrefix(l, "./"))
	}
	return out
}

// prune keeps the newest binaries, at most KeepBinaries of them and KeepBytes in all (the
// newest is always kept).
func (b *Builder) prune(dir string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	type bin struct {
		name string
		t    time.Time
		size int64
	}
	var bins []bin
	for _, e := range ents {
		if info, err := e.Info(); err == nil && !strings.Contains(e.Name(), ".tmp") {
			bins = append(bins, bin{e.Name(), info.ModTime(), info.Size()})
		}
	}
	sort.Slice(bins, func(i, j int) bool { return bins[i].t.After(bins[j].t) })
	var total int64
	for i, x := range bins {
		total += x.size
		if i > 0 && (i >= b.opts.KeepBinaries || total > b.opts.KeepBytes) {
			os.Remove(filepath.Join(dir, x.name))
		}
	}
}
