package main

import (
	"strings"
	"testing"
)

func TestParseAPILine(t *testing.T) {
	for _, c := range []struct {
		line, pkg, name string
		ok              bool
	}{
		{"pkg fmt, func Println(...interface{}) (int, error)", "fmt", "Println", true},
		{"pkg strings, method (*Builder) Grow(int)", "strings", "Builder.Grow", true},
		{"pkg unique, method (Handle[$0]) Value() $0 #62483", "unique", "Handle.Value", true},
		{"pkg cmp, func Or[$0 comparable](...$0) $0 #60204", "cmp", "Or", true},
		{"pkg time, const Second Duration", "time", "Second", true},
		{"pkg os, var Args []string", "os", "Args", true},
		{"pkg iter, type Seq[$0 interface{}] func(func($0) bool) #61897", "iter", "Seq", true},
		{"pkg io, type Reader interface { Read }", "io", "Reader", true},
		{"pkg io, type Reader interface, Read([]uint8) (int, error)", "io", "Reader.Read", true},
		{"pkg archive/tar, type Header struct, AccessTime time.Time", "", "", false},
		{"pkg syscall (linux-amd64), const AF_ALG ideal-int", "syscall", "AF_ALG", true},
		{"pkg syscall (linux-amd64-cgo), const AF_ALG ideal-int", "syscall", "AF_ALG", true},
		{"pkg syscall (windows-386), const AF_ALG ideal-int", "", "", false},
		{"# comment", "", "", false},
	} {
		pkg, name, ok := parseAPILine(c.line)
		if pkg != c.pkg || name != c.name || ok != c.ok {
			t.Errorf("parseAPILine(%q) = %q %q %v, want %q %q %v", c.line, pkg, name, ok, c.pkg, c.name, c.ok)
		}
	}
}

func TestCapLines(t *testing.T) {
	short := "type T struct {\n\tA int\n}"
	if got := capLines(short); got != short {
		t.Errorf("capLines changed a short decl: %q", got)
	}
	var b strings.Builder
	b.WriteString("type T struct {\n")
	for range 200 {
		b.WriteString("\tA int\n")
	}
	b.WriteString("}")
	got := capLines(b.String())
	lines := strings.Split(got, "\n")
	if len(lines) != maxDeclLines || lines[len(lines)-1] != "}" || !strings.Contains(lines[len(lines)-2], "more lines") {
		t.Errorf("capLines: %d lines, tail %q", len(lines), lines[len(lines)-2:])
	}
}
