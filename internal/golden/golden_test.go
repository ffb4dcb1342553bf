package golden

import (
	"reflect"
	"testing"
)

func TestParseFormat(t *testing.T) {
	data := "a comment\n-- cell --\nx := 1\n-- want --\n-- last --\nno final newline"
	f := Parse([]byte(data))
	want := &File{Comment: "a comment\n", Sections: []Section{
		{"cell", "x := 1\n"}, {"want", ""}, {"last", "no final newline\n"},
	}}
	if !reflect.DeepEqual(f, want) {
		t.Fatalf("Parse = %+v, want %+v", f, want)
	}
	out, err := f.Format()
	if err != nil {
		t.Fatal(err)
	}
	if got := string(out); got != data+"\n" {
		t.Errorf("Format = %q", got)
	}
	if g := Parse(out); !reflect.DeepEqual(g, f) {
		t.Errorf("Parse(Format) = %+v", g)
	}
	if text, ok := f.Get("cell"); !ok || text != "x := 1\n" {
		t.Errorf("Get(cell) = %q, %v", text, ok)
	}
	if _, ok := f.Get("nope"); ok {
		t.Error("Get(nope) found a section")
	}
	bad := &File{Sections: []Section{{"cell", "-- x --\n"}}}
	if _, err := bad.Format(); err == nil {
		t.Error("Format of a text with a section line did not fail")
	}
	if got := Parse([]byte("-- only --\n")); got.Comment != "" || len(got.Sections) != 1 || got.Sections[0].Text != "" {
		t.Errorf("Parse of one empty section = %+v", got)
	}
}
