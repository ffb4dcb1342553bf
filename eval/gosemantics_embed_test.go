package eval

// Embedded struct fields of a cell's types, seen by encoding/json and encoding/xml as in Go
// (yaegi patch 9 in third_party/yaegi/PATCHES.md; encoding/xml.ExampleEncoder of the corpus).
func init() {
	goCases = append(goCases,
		goCase{
			name: "embedded struct fields in encoding/json and encoding/xml",
			cells: []string{`import ("encoding/json"; "encoding/xml"; "fmt")
type Address struct { City, State string }
type Base struct { ID int }
type Person struct {
	XMLName xml.Name ` + "`xml:\"person\"`" + `
	Name string
	Address
	*Base
}`, "p := Person{Name: \"J\", Address: Address{\"X\", \"Y\"}, Base: &Base{7}}\nb, err := json.Marshal(p)\nfmt.Println(string(b), err)\nx, err := xml.Marshal(p)\nfmt.Println(string(x), err)\nfmt.Println(p.City, p.ID, p.Address.State)\nfmt.Printf(\"%+v\\n\", p.Address)\nvar q Person\nfmt.Println(json.Unmarshal([]byte(`{\"Name\":\"K\",\"City\":\"Z\",\"ID\":3}`), &q), q.Name, q.City, q.Base != nil, q.ID)"},
			prog:   "package main\n\nimport (\n\t\"encoding/json\"\n\t\"encoding/xml\"\n\t\"fmt\"\n)\n\ntype Address struct{ City, State string }\ntype Base struct{ ID int }\ntype Person struct {\n\tXMLName xml.Name `xml:\"person\"`\n\tName    string\n\tAddress\n\t*Base\n}\n\nfunc main() {\n\tp := Person{Name: \"J\", Address: Address{\"X\", \"Y\"}, Base: &Base{7}}\n\tb, err := json.Marshal(p)\n\tfmt.Println(string(b), err)\n\tx, err := xml.Marshal(p)\n\tfmt.Println(string(x), err)\n\tfmt.Println(p.City, p.ID, p.Address.State)\n\tfmt.Printf(\"%+v\\n\", p.Address)\n\tvar q Person\n\tfmt.Println(json.Unmarshal([]byte(`{\"Name\":\"K\",\"City\":\"Z\",\"ID\":3}`), &q), q.Name, q.City, q.Base != nil, q.ID)\n}\n",
			stdout: "{\"XMLName\":{\"Space\":\"\",\"Local\":\"\"},\"Name\":\"J\",\"City\":\"X\",\"State\":\"Y\",\"ID\":7} <nil>\n<person><Name>J</Name><City>X</City><State>Y</State><ID>7</ID></person> <nil>\nX 7 Y\n{City:X State:Y}\n<nil> K Z true 3\n",
		},
		goCase{
			name:   "a String method promoted from an embedded field, on values in a slice",
			cells:  []string{"import (\"fmt\"; \"sync\"; \"sort\")\ntype Animal struct{ Name string }\nfunc (a Animal) String() string { return \"animal \" + a.Name }\nfunc (a *Animal) Rename(n string) { a.Name = n }\ntype Dog struct { Animal; Breed string; sync.Mutex }\ntype Named interface { Rename(string) }\ntype byName []Dog\nfunc (b byName) Len() int { return len(b) }\nfunc (b byName) Less(i, j int) bool { return b[i].Name < b[j].Name }\nfunc (b byName) Swap(i, j int) { b[i], b[j] = b[j], b[i] }\n", "d := &Dog{Animal: Animal{\"rex\"}, Breed: \"lab\"}\nvar n Named = d\nn.Rename(\"max\")\nd.Lock(); d.Unlock()\nfmt.Println(d.Name, d, d.Animal)\nfmt.Printf(\"%+v %v\\n\", *d, []Dog{{Animal: Animal{\"a\"}}})\nds := byName{{Animal: Animal{\"b\"}}, {Animal: Animal{\"a\"}}}\nsort.Sort(ds)\nfmt.Println(ds[0].Name, ds[1].Name)\n"},
			prog:   "package main\n\nimport (\"fmt\"; \"sync\"; \"sort\")\ntype Animal struct{ Name string }\nfunc (a Animal) String() string { return \"animal \" + a.Name }\nfunc (a *Animal) Rename(n string) { a.Name = n }\ntype Dog struct { Animal; Breed string; sync.Mutex }\ntype Named interface { Rename(string) }\ntype byName []Dog\nfunc (b byName) Len() int { return len(b) }\nfunc (b byName) Less(i, j int) bool { return b[i].Name < b[j].Name }\nfunc (b byName) Swap(i, j int) { b[i], b[j] = b[j], b[i] }\nfunc main() {\nd := &Dog{Animal: Animal{\"rex\"}, Breed: \"lab\"}\nvar n Named = d\nn.Rename(\"max\")\nd.Lock(); d.Unlock()\nfmt.Println(d.Name, d, d.Animal)\nfmt.Printf(\"%+v %v\\n\", *d, []Dog{{Animal: Animal{\"a\"}}})\nds := byName{{Animal: Animal{\"b\"}}, {Animal: Animal{\"a\"}}}\nsort.Sort(ds)\nfmt.Println(ds[0].Name, ds[1].Name)\n}\n",
			stdout: "max animal max animal max\nanimal max [animal a]\na b\n",
		},
	)
}
