package format

import (
	"bytes"
	"compress/gzip"
	"errors"
	"reflect"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	in := &Index{
		GoVersion: "go1.26.8",
		Generator: "abc",
		Packages: []Package{
			{Path: "fmt", Name: "fmt", Synopsis: "Package fmt.", Doc: "Package fmt.\n", Since: "go1", Symbols: []Symbol{
				{Name: "Println", Kind: KindFunc, Decl: "func Println(a ...any) (n int, err error)", Doc: "Println ...\n", Since: "go1"},
				{Name: "Stringer", Kind: KindType, Decl: "type Stringer interface{}", Doc: "Println ...\n"},
			}},
			{Path: "empty", Name: "empty", Symbols: []Symbol{}},
		},
	}
	var buf bytes.Buffer
	if err := Encode(&buf, in); err != nil {
		t.Fatal(err)
	}
	out, err := Decode(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Errorf("round trip:\n got %+v\nwant %+v", out, in)
	}
}

func TestDecodeErrors(t *testing.T) {
	gz := func(raw string) []byte {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write([]byte(raw))
		w.Close()
		return b.Bytes()
	}
	if _, err := Decode(gz(magic + "\x7f")); !errors.Is(err, ErrVersion) {
		t.Errorf("other version: err = %v, want ErrVersion", err)
	}
	if _, err := Decode(gz("something else")); err == nil {
		t.Error("bad magic accepted")
	}
	var buf bytes.Buffer
	if err := Encode(&buf, &Index{Packages: []Package{{Path: "p", Symbols: []Symbol{{Name: "X", Kind: KindVar}}}}}); err != nil {
		t.Fatal(err)
	}
	zr, _ := gzip.NewReader(&buf)
	var raw bytes.Buffer
	raw.ReadFrom(zr)
	if _, err := Decode(gz(raw.String()[:raw.Len()-2])); err == nil {
		t.Error("truncated index accepted")
	}
}
