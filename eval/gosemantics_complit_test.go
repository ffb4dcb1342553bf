package eval

// Elided pointer literals in literals of compiled types (yaegi patch 10 in
// third_party/yaegi/PATCHES.md; io/fs.ExampleGlob and ExampleReadFile of the corpus).
func init() {
	goCases = append(goCases,
		goCase{
			name:   "elided &T{} in a literal of a compiled map or slice type",
			cells:  []string{"import (\"fmt\"; \"io/fs\"; \"net/url\"; \"testing/fstest\")\n\tfsys := fstest.MapFS{\n\t\t\"hello.txt\":   {Data: []byte(\"Hello, World!\\n\")},\n\t\t\"dir/file.go\": {},\n\t}\n\tdata, err := fs.ReadFile(fsys, \"hello.txt\")\n\tfmt.Print(string(data), err, \"\\n\")\n\tm, err := fs.Glob(fsys, \"dir/*.go\")\n\tfmt.Println(m, err)\n\tus := []*url.URL{{Scheme: \"https\", Host: \"a.b\"}, {Host: \"c\"}}\n\tfmt.Println(us[0].String(), us[1].Host)\n\tbyName := map[string]*url.URL{\"x\": {Path: \"/p\"}}\n\tfmt.Println(byName[\"x\"].Path)\n"},
			prog:   "package main\n\nimport (\n\t\"fmt\"\n\t\"io/fs\"\n\t\"net/url\"\n\t\"testing/fstest\"\n)\n\nfunc main() {\n\tfsys := fstest.MapFS{\n\t\t\"hello.txt\":   {Data: []byte(\"Hello, World!\\n\")},\n\t\t\"dir/file.go\": {},\n\t}\n\tdata, err := fs.ReadFile(fsys, \"hello.txt\")\n\tfmt.Print(string(data), err, \"\\n\")\n\tm, err := fs.Glob(fsys, \"dir/*.go\")\n\tfmt.Println(m, err)\n\tus := []*url.URL{{Scheme: \"https\", Host: \"a.b\"}, {Host: \"c\"}}\n\tfmt.Println(us[0].String(), us[1].Host)\n\tbyName := map[string]*url.URL{\"x\": {Path: \"/p\"}}\n\tfmt.Println(byName[\"x\"].Path)\n}\n",
			stdout: "Hello, World!\n<nil>\n[dir/file.go] <nil>\nhttps://a.b c\n/p\n",
		},
	)
}
