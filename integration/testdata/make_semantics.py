"""Writes semantics.ipynb: the Go-cell semantics of quire, each cell with the exact output it
must produce (metadata "quire_expect", checked by run_notebook.py). Run: /usr/bin/python3 make_semantics.py"""
import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

cells = [
    ("imports", 'import (\n\t"errors"\n\t"fmt"\n\t"os"\n\t"strconv"\n\t"sync"\n\t"time"\n)', {"no_result": True}),
    ("trivial", "1+1", {"result": "2"}),
    ("println shows no Out", 'fmt.Println("hello")', {"stdout": "hello\n", "no_result": True}),
    ("mixed declarations and statements",
     'type Point struct{ X, Y int }\nfunc (p Point) String() string { return fmt.Sprintf("(%d,%d)", p.X, p.Y) }\n'
     'origin := Point{}\nconst limit = 3\nfunc move(p Point) Point { return Point{p.X + 1, p.Y + limit} }\nmove(origin)',
     {"result": "(1,3)"}),
    ("multi-value result", 'strconv.Atoi("42")', {"result": "42, <nil>"}),
    ("error value renders with Error()", 'errors.New("bad thing")', {"result": "bad thing"}),
    ("func redefined, caller g sees it (1)", "func f() int { return 1 }\nfunc g() int { return f() * 10 }\ng()", {"result": "10"}),
    ("func redefined, caller g sees it (2)", "func f() int { return 2 }\ng()", {"result": "20"}),
    ("type declared", "type Pair struct{ A int }\nPair{7}", {"result": "{7}"}),
    ("type redefined", "type Pair struct{ A, B int }\nPair{1, 2}", {"result": "{1 2}", "stderr_contains": "type Pair changed"}),
    ("repeated import is harmless", 'import "fmt"\nfmt.Sprint("again")', {"result": '"again"'}),
    ("loop variables are per iteration",
     "var fs []func() int\nfor i := 0; i < 3; i++ {\n\tfs = append(fs, func() int { return i })\n}\nfmt.Println(fs[0](), fs[1](), fs[2]())",
     {"stdout": "0 1 2\n"}),
    ("goroutines in a loop see their own i",
     "results := make([]int, 3)\nvar wg sync.WaitGroup\nfor i := 0; i < 3; i++ {\n\twg.Add(1)\n\tgo func() { defer wg.Done(); results[i] = i * i }()\n}\nwg.Wait()\nresults",
     {"result": "[0 1 4]"}),
    ("min", "min(3, 1)", {"result": "1"}),
    ("max of floats", "max(2.5, 1.0, 4.25)", {"result": "4.25"}),
    ("clear", 'mm := map[string]int{"a": 1}\nclear(mm)\nlen(mm)', {"result": "0"}),
    ("range over int", 'for i := range 3 {\n\tfmt.Print(i, " ")\n}', {"stdout": "0 1 2 "}),
    ("top-level comma-ok", 'ages := map[string]int{"ann": 31}\nage, ok := ages["bob"]\nfmt.Println(age, ok)', {"stdout": "0 false\n"}),
    ("top-level type switch", 'var v any = 3\nswitch t := v.(type) {\ncase int:\n\tfmt.Println("int", t)\n}', {"stdout": "int 3\n"}),
    ("if with short statement", 'if n, err := strconv.Atoi("x"); err != nil {\n\tfmt.Println("not a number", n)\n}', {"stdout": "not a number 0\n"}),
    ("panic in the cell", 'func explode() { panic("boom") }\nexplode()', {"error": "panic", "error_contains": "boom"}),
    ("goroutine panic ends the cell, not the kernel",
     'go func() { panic("goroutine boom") }()\ntime.Sleep(2 * time.Second)', {"error": "panic", "error_contains": "goroutine boom"}),
    ("kernel alive after goroutine panic; declarations replayed", "move(Point{1, 1})", {"result": "(2,4)"}),
    ("concurrent map writes",
     "shared := map[int]int{}\nvar wg2 sync.WaitGroup\nfor w := 0; w < 4; w++ {\n\twg2.Add(1)\n\tgo func() {\n\t\tdefer wg2.Done()\n\t\tfor i := 0; i < 1000000; i++ {\n\t\t\tshared[i] = i\n\t\t}\n\t}()\n}\nwg2.Wait()",
     {"error": "FatalError", "error_contains": "concurrent map writes"}),
    ("stack overflow", "func down(n int) int { return down(n+1) + 1 }\ndown(0)", {"error": "FatalError", "error_contains": "stack overflow"}),
    ("os.Exit ends the cell only", "os.Exit(3)", {"error": "Exit", "error_contains": "exit status 3"}),
    ("still alive", "g()", {"result": "20"}),
    ("stdin not allowed: clear error, no hang", 'var name string\n_, err := fmt.Scanln(&name)\nfmt.Println(err)', {"stdout_contains": "stdin"}),
    ("interrupt an endless loop (nbclient interrupts it after 2 s)", "for {\n}", {"error": "KeyboardInterrupt", "timeout": 2, "max_seconds": 10}),
    ("after the interrupt: 1+1", "1+1", {"result": "2"}),
    ("after the interrupt: declarations kept", "g() + move(Point{}).X", {"result": "21"}),
    ("goroutine output after its cell ends (1)", 'go func() { time.Sleep(300 * time.Millisecond); fmt.Println("late line") }()', {"no_result": True}),
    ("goroutine output after its cell ends (2): it belongs to the cell that started it, not to this one", "time.Sleep(800 * time.Millisecond)", {"stdout": ""}),
]

nb = new_notebook()
nb.metadata["kernelspec"] = {"name": "quire", "display_name": "Go (quire)", "language": "go"}
nb.metadata["language_info"] = {"name": "go"}
nb.cells.append(new_markdown_cell("# quire cell semantics\n\nEach code cell carries its expected output in `metadata.quire_expect`."))
for name, src, exp in cells:
    c = new_code_cell(src)
    c.metadata["name"] = name
    c.metadata["quire_expect"] = exp
    nb.cells.append(c)
for i, c in enumerate(nb.cells):
    c["id"] = f"sem-{i:02d}"
nbformat.write(nb, "semantics.ipynb")
