package eval

// A switch with an init statement and a tag that is a call (yaegi patch 8 in
// third_party/yaegi/PATCHES.md; reflect.ExampleKind of the corpus).
func init() {
	goCases = append(goCases,
		goCase{
			name: "switch with an init statement and a call as its tag",
			cells: []string{`import ("fmt"; "reflect")
func twice(n int) int { return 2 * n }
for _, v := range []any{"hi", 42, 1.5} {
	switch v := reflect.ValueOf(v); v.Kind() {
	case reflect.String:
		fmt.Println("string", v.String())
	case reflect.Int:
		fmt.Println("int", v.Int())
	default:
		fmt.Println("other", v.Kind())
	}
}
switch n := 3; twice(n) {
case 6:
	fmt.Println("six")
default:
	fmt.Println("not six")
}
switch n := 4; 8 {
case twice(n):
	fmt.Println("eight")
}
switch k := 5; k {
case 5:
	fmt.Println("five")
}`},
			prog: `package main

import (
	"fmt"
	"reflect"
)

func twice(n int) int { return 2 * n }

func main() {
	for _, v := range []any{"hi", 42, 1.5} {
		switch v := reflect.ValueOf(v); v.Kind() {
		case reflect.String:
			fmt.Println("string", v.String())
		case reflect.Int:
			fmt.Println("int", v.Int())
		default:
			fmt.Println("other", v.Kind())
		}
	}
	switch n := 3; twice(n) {
	case 6:
		fmt.Println("six")
	default:
		fmt.Println("not six")
	}
	switch n := 4; 8 {
	case twice(n):
		fmt.Println("eight")
	}
	switch k := 5; k {
	case 5:
		fmt.Println("five")
	}
}
`,
			stdout: "string hi\nint 42\nother float64\nsix\neight\nfive\n",
		},
	)
}
