package magic

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/quire-go/quire/backend"
	"github.com/quire-go/quire/eval"
)

// helperPkgs are the packages generated code may use, by the local name it imports them as.
var helperPkgs = []struct{ alias, path string }{
	{"__quire_magic_fmt", "fmt"},
	{"__quire_magic_os", "os"},
	{"__quire_magic_reflect", "reflect"},
	{"__quire_magic_time", "time"},
}

// helperExec runs generated Go code, importing the helper packages it uses.
func (m *Magics) helperExec(c *call, code string) (backend.ExecuteResult, time.Duration) {
	m.syncHelpers(c.env)
	var b strings.Builder
	var used []string
	for _, h := range helperPkgs {
		if strings.Contains(code, h.alias+".") {
			fmt.Fprintf(&b, "import %s %q\n", h.alias, h.path)
			used = append(used, h.path)
		}
	}
	b.WriteString(code)
	res, d := c.env.Exec(c.ctx, b.String())
	for _, p := range used {
		if !slices.Contains(m.helpers, p) && slices.Contains(c.env.Declarations(), "import "+p) {
			m.helpers = append(m.helpers, p)
		}
	}
	m.histLen = len(c.env.History())
	return res, d
}

// syncHelpers forgets the helper imports when the session was reset behind our back (a kernel
// restart): the history got shorter.
func (m *Magics) syncHelpers(env eval.MagicEnv) {
	if n := len(env.History()); n < m.histLen {
		m.helpers = nil
		m.histLen = n
	}
}

// declarations returns the session's declarations without our helper imports.
func (m *Magics) declarations(env eval.MagicEnv) []string {
	m.syncHelpers(env)
	decls := env.Declarations()
	for _, p := range m.helpers {
		// The last one: the user's own import of the same package usually came first.
		for i := len(decls) - 1; i >= 0; i-- {
			if decls[i] == "import "+p {
				decls = slices.Delete(decls, i, i+1)
				break
			}
		}
	}
	return decls
}

func (m *Magics) envMagic(c *call) backend.ExecuteResult {
	args := c.args
	if args == "" {
		env := os.Environ()
		sort.Strings(env)
		var b strings.Builder
		for _, kv := range env {
			k, v, _ := strings.Cut(kv, "=")
			if secret(k) {
				v = "<hidden>"
			}
			fmt.Fprintf(&b, "%s=%s\n", k, v)
		}
		c.print("%s", b.String())
		return ok()
	}
	if rest, unset := strings.CutPrefix(args, "-u "); unset {
		name := strings.TrimSpace(rest)
		if err := os.Unsetenv(name); err != nil {
			return errResult("OSError", fmt.Sprintf("unsetting %s: %v", name, err))
		}
		res, _ := m.helperExec(c, fmt.Sprintf(`func() string {
	if err := __quire_magic_os.Unsetenv(%q); err != nil {
		return err.Error()
	}
	return "ok"
}()`, name))
		if r, bad := failed(res, "unsetting "+name+" in the Go worker"); bad {
			return r
		}
		c.print("env: unset %s\n", name)
		return ok()
	}
	name, value, set := strings.Cut(args, "=")
	if !set {
		if n, v := splitName(args); v != "" {
			name, value, set = n, v, true
		}
	}
	name = strings.TrimSpace(name)
	if name == "" || strings.ContainsAny(name, " \t") || strings.HasPrefix(name, "-") {
		return usage("%env, %env NAME, %env NAME=VALUE or %env -u NAME")
	}
	if !set {
		v, found := os.LookupEnv(name)
		if !found {
			return errResult("UsageError", "Environment does not have key: "+name)
		}
		c.print("%s\n", v)
		return ok()
	}
	value = unquote(strings.TrimSpace(value))
	if err := os.Setenv(name, value); err != nil {
		return errResult("OSError", fmt.Sprintf("setting %s: %v", name, err))
	}
	res, _ := m.helperExec(c, fmt.Sprintf(`func() string {
	if err := __quire_magic_os.Setenv(%q, %q); err != nil {
		return err.Error()
	}
	return "ok"
}()`, name, value))
	if r, bad := failed(res, "setting "+name+" in the Go worker"); bad {
		return r
	}
	c.print("env: %s=%s\n", name, value)
	return ok()
}

// failed turns a helper's result (the string "ok", or an error text) into an error result.
func failed(res backend.ExecuteResult, what string) (backend.ExecuteResult, bool) {
	if res.Status != backend.StatusOK {
		return res, true
	}
	if s := resultString(res); s != "ok" {
		return errResult("OSError", what+": "+s), true
	}
	return res, false
}

// resultString returns a string result's value (text/plain holds it Go-quoted).
func resultString(res backend.ExecuteResult) string {
	if res.Result == nil {
		return ""
	}
	t, _ := res.Result.Data["text/plain"].(string)
	if s, err := strconv.Unquote(t); err == nil {
		return s
	}
	return t
}

func secret(name string) bool {
	n := strings.ToUpper(name)
	for _, w := range []string{"KEY", "TOKEN", "SECRET", "PASS"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

// abs resolves a path the user typed against the working directory.
func (m *Magics) abs(p string) string {
	p = unquote(strings.TrimSpace(p))
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			p = filepath.Join(home, p[1:])
		}
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(m.dir, p)
	}
	return filepath.Clean(p)
}

func (m *Magics) cd(c *call) backend.ExecuteResult {
	target := c.args
	switch target {
	case "":
		home, err := os.UserHomeDir()
		if err != nil {
			return errResult("OSError", "no home directory: "+err.Error())
		}
		target = home
	case "-":
		if m.prevDir == "" {
			return errResult("UsageError", "%cd -: no previous directory")
		}
		target = m.prevDir
	}
	dir := m.abs(target)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return errResult("FileNotFoundError", "no such directory: "+dir)
	}
	if err := os.Chdir(dir); err != nil {
		return errResult("OSError", fmt.Sprintf("cd %s: %v", dir, err))
	}
	res, _ := m.helperExec(c, fmt.Sprintf(`func() string {
	if err := __quire_magic_os.Chdir(%q); err != nil {
		return err.Error()
	}
	return "ok"
}()`, dir))
	if r, bad := failed(res, "changing the Go worker's directory"); bad {
		_ = os.Chdir(m.dir) // keep the kernel where the worker is
		return r
	}
	m.prevDir, m.dir = m.dir, dir
	c.print("%s\n", dir)
	return ok()
}

func (m *Magics) pwd(c *call) backend.ExecuteResult {
	c.print("%s\n", m.dir)
	return ok()
}

// names returns the non-import declarations as kind and name, filtered by kinds (none: all).
func (m *Magics) names(env eval.MagicEnv, kinds []string) (out [][2]string) {
	for _, d := range m.declarations(env) {
		kind, name, _ := strings.Cut(d, " ")
		if kind == "import" && !slices.Contains(kinds, "import") {
			continue
		}
		if len(kinds) > 0 && !slices.Contains(kinds, kind) {
			continue
		}
		out = append(out, [2]string{kind, name})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i][1] < out[j][1] })
	return out
}

func (m *Magics) who(c *call) backend.ExecuteResult {
	ds := m.names(c.env, strings.Fields(c.args))
	if len(ds) == 0 {
		c.print("Interactive namespace is empty.\n")
		return ok()
	}
	names := make([]string, len(ds))
	for i, d := range ds {
		names[i] = d[1]
	}
	c.print("%s\n", strings.Join(names, "\t"))
	return ok()
}

// whosProbe returns Go code whose value is, for each name, "type\x00value" joined by \x01.
func whosProbe(names []string) string {
	var b strings.Builder
	b.WriteString(`func() string {
	__quire_f := func(v any) string {
		t := __quire_magic_fmt.Sprintf("%T", v)
		rv := __quire_magic_reflect.ValueOf(v)
		switch rv.Kind() {
		case __quire_magic_reflect.Slice, __quire_magic_reflect.Map, __quire_magic_reflect.Array, __quire_magic_reflect.Chan:
			if rv.Len() > 16 {
				return t + "\x00" + __quire_magic_fmt.Sprintf("len %d", rv.Len())
			}
		case __quire_magic_reflect.String:
			if rv.Len() > 80 {
				return t + "\x00" + __quire_magic_fmt.Sprintf("%q...", rv.String()[:80])
			}
		}
		return t + "\x00" + __quire_magic_fmt.Sprintf("%v", v)
	}
	return ""`)
	for i, n := range names {
		if i > 0 {
			b.WriteString(` + "\x01"`)
		}
		fmt.Fprintf(&b, " + __quire_f(%s)", n)
	}
	b.WriteString("\n}()")
	return b.String()
}

func (m *Magics) whos(c *call) backend.ExecuteResult {
	ds := m.names(c.env, strings.Fields(c.args))
	if len(ds) == 0 {
		c.print("Interactive namespace is empty.\n")
		return ok()
	}
	var values []string
	for _, d := range ds {
		if d[0] == "var" || d[0] == "const" {
			values = append(values, d[1])
		}
	}
	info := map[string][2]string{}
	if len(values) > 0 {
		res, _ := m.helperExec(c, whosProbe(values))
		if res.Status == backend.StatusOK {
			parts := strings.Split(resultString(res), "\x01")
			if len(parts) == len(values) {
				for i, p := range parts {
					t, v, _ := strings.Cut(p, "\x00")
					info[values[i]] = [2]string{t, v}
				}
			}
		}
	}
	rows := [][]string{{"Name", "Kind", "Type", "Value/Info"}}
	for _, d := range ds {
		kind, name := d[0], d[1]
		typ, val := "", ""
		switch kind {
		case "var", "const":
			if in, found := info[name]; found {
				typ, val = in[0], in[1]
			} else {
				typ, val = "?", "?"
			}
		case "func", "method", "type":
			if sum, found := c.env.Summary(name); found {
				val = sum
			}
		}
		rows = append(rows, []string{name, kind, typ, oneLine(val, 60)})
	}
	c.print("%s", table(rows))
	return ok()
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-3]) + "..."
	}
	return s
}

// table aligns rows in columns, with a rule under the header.
func table(rows [][]string) string {
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, cell := range r {
			widths[i] = max(widths[i], len([]rune(cell)))
		}
	}
	var b strings.Builder
	line := func(r []string) {
		var parts []string
		for i, cell := range r {
			if i == len(r)-1 {
				parts = append(parts, cell)
			} else {
				parts = append(parts, cell+strings.Repeat(" ", widths[i]-len([]rune(cell))))
			}
		}
		b.WriteString(strings.TrimRight(strings.Join(parts, "   "), " ") + "\n")
	}
	line(rows[0])
	total := 0
	for _, w := range widths {
		total += w
	}
	b.WriteString(strings.Repeat("-", total+3*(len(widths)-1)) + "\n")
	for _, r := range rows[1:] {
		line(r)
	}
	return b.String()
}

func (m *Magics) reset(c *call) backend.ExecuteResult {
	if a := strings.TrimSpace(c.args); a != "" && a != "-f" {
		return usage("%reset [-f]")
	}
	decls := m.declarations(c.env)
	if err := c.env.Reset(c.ctx); err != nil {
		return errResult("WorkerError", "resetting the session: "+err.Error())
	}
	m.helpers, m.histLen = nil, 0
	m.gocell.mu.Lock()
	m.gocell.cells, m.gocell.histLen = nil, 0
	m.gocell.mu.Unlock()
	if len(decls) == 0 {
		c.print("The session was empty; the Go worker was restarted.\n")
		return ok()
	}
	c.print("Cleared %d declaration%s: %s. The Go worker was restarted.\n", len(decls), plural(len(decls)), strings.Join(decls, ", "))
	return ok()
}

func (m *Magics) restart(c *call) backend.ExecuteResult {
	lost, err := c.env.Restart(c.ctx)
	if err != nil {
		return errResult("WorkerError", "restarting the Go worker: "+err.Error())
	}
	c.print("Restarted the Go worker and replayed the declarations.\n")
	if len(lost) > 0 {
		c.print("Lost variables: %s\n", strings.Join(lost, ", "))
	}
	return ok()
}

func (m *Magics) goMagic(c *call) backend.ExecuteResult {
	sub, rest := splitName(c.args)
	if sub != "get" || rest == "" {
		return usage("%go get MODULE[@VERSION]...")
	}
	added, err := c.env.GoGet(c.ctx, strings.Fields(rest)...)
	if err != nil {
		return errResult("GoGetError", err.Error())
	}
	if len(added) == 0 {
		c.print("Nothing new: %s already importable.\n", rest)
		return ok()
	}
	var b strings.Builder
	for _, a := range added {
		b.WriteString("added " + a + "\n")
	}
	c.print("%s", b.String())
	return ok()
}

func (m *Magics) writefile(c *call) backend.ExecuteResult {
	appendTo := false
	name := strings.TrimSpace(c.args)
	if f, rest := splitName(name); f == "-a" {
		appendTo, name = true, rest
	}
	name = unquote(name)
	if name == "" || strings.HasPrefix(name, "-") {
		return usage("%%writefile [-a] FILE")
	}
	path := m.abs(name)
	body := c.body
	if body != "" && !strings.HasSuffix(body, "\n") {
		body += "\n"
	}
	_, statErr := os.Stat(path)
	exists := statErr == nil
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	msg := "Writing"
	switch {
	case appendTo:
		flags = os.O_WRONLY | os.O_CREATE | os.O_APPEND
		msg = "Appending to"
	case exists:
		msg = "Overwriting"
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return errResult("OSError", fmt.Sprintf("%%%%writefile: %v", err))
	}
	_, err = f.WriteString(body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return errResult("OSError", fmt.Sprintf("%%%%writefile: %v", err))
	}
	c.print("%s %s\n", msg, name)
	return ok()
}
