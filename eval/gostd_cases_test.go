package eval

import (
	"fmt"
	"strings"
)

// Issue 12, items 2 and 3: the generic standard library (quire's interpreted slices, maps,
// cmp, iter and sync.OnceValue(s)), range over iterator funcs, and generic inference, as
// programs whose cells print what go run prints. Each program runs as one split cell (its
// declarations, then main's statements at the top level) and as a whole program.
var gostdPrograms = []struct{ name, prog, stdout string }{
	{
		name: "slices, maps and cmp",
		prog: `package main

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
)

type person struct {
	name string
	age  int
}

type ints []int

func main() {
	s := []int{5, 2, 8, 2, 9, 1}
	fmt.Println(slices.Contains(s, 8), slices.Index(s, 2), slices.IndexFunc(s, func(x int) bool { return x > 6 }))
	c := slices.Clone(s)
	slices.Sort(c)
	fmt.Println(c, s, slices.IsSorted(c), slices.Equal(c, s))
	i, found := slices.BinarySearch(c, 8)
	fmt.Println(i, found, slices.Min(s), slices.Max(s))
	fmt.Println(slices.Compact([]int{1, 1, 2, 2, 2, 3, 1}), slices.Insert([]int{1, 2}, 1, 7, 8), slices.Delete([]int{0, 1, 2, 3}, 1, 3))
	fmt.Println(slices.Concat([]int{1}, []int{2, 3}), slices.Repeat([]string{"a"}, 3), slices.Replace([]int{0, 1, 2, 3}, 1, 3, 9))
	r := []string{"a", "b", "c"}
	slices.Reverse(r)
	fmt.Println(r, slices.Compare([]int{1, 2}, []int{1, 3}), cmp.Compare(2, 1), cmp.Compare(math.NaN(), 1), cmp.Less("a", "b"), cmp.Or("", "dflt"))
	people := []person{{"Alice", 30}, {"Bob", 25}, {"Carol", 30}, {"Dan", 25}, {"Eve", 35}}
	slices.SortStableFunc(people, func(a, b person) int { return cmp.Compare(a.age, b.age) })
	fmt.Println(people)
	slices.SortFunc(people, func(a, b person) int { return strings.Compare(b.name, a.name) })
	fmt.Println(people)
	j, ok := slices.BinarySearchFunc([]person{{"A", 1}, {"B", 5}}, 5, func(p person, t int) int { return cmp.Compare(p.age, t) })
	fmt.Println(j, ok, slices.MaxFunc(people, func(a, b person) int { return cmp.Compare(a.age, b.age) }))
	m := map[string]int{"x": 1, "y": 2, "z": 3}
	keys := slices.Sorted(maps.Keys(m))
	fmt.Println(keys, slices.Sorted(maps.Values(m)), len(slices.Collect(maps.Keys(m))), keys[0])
	m2 := maps.Clone(m)
	m2["w"] = 0
	fmt.Println(maps.Equal(m, m2), len(m2))
	maps.DeleteFunc(m2, func(k string, v int) bool { return v < 2 })
	fmt.Println(m2)
	var named ints = ints{3, 1, 2}
	slices.Sort(named)
	fmt.Println(named, slices.Contains(named, 3))
	for ch := range slices.Chunk([]int{1, 2, 3, 4, 5}, 2) {
		fmt.Print(ch, " ")
	}
	fmt.Println()
	for i, v := range slices.Backward([]string{"a", "b"}) {
		fmt.Print(i, v, " ")
	}
	fmt.Println()
	fmt.Println(slices.Collect(maps.Keys(map[int]bool{7: true})), maps.Collect(slices.All([]string{"p", "q"})))
	big := make([]int, 100)
	for i := range big {
		big[i] = (i * 37) % 11
	}
	slices.SortFunc(big, func(a, b int) int { return cmp.Compare(a%3, b%3) })
	fmt.Println(big[:20])
}
`,
		stdout: `true 1 2
[1 2 2 5 8 9] [5 2 8 2 9 1] true false
4 true 1 9
[1 2 3 1] [1 7 8 2] [0 3]
[1 2 3] [a a a] [0 9 3]
[c b a] -1 1 -1 true dflt
[{Bob 25} {Dan 25} {Alice 30} {Carol 30} {Eve 35}]
[{Eve 35} {Dan 25} {Carol 30} {Bob 25} {Alice 30}]
1 true {Eve 35}
[x y z] [1 2 3] 3 x
false 4
map[y:2 z:3]
[1 2 3] true
[1 2] [3 4] [5] 
1b 0a 
[7] map[0:p 1:q]
BIG
`,
	},
	{
		name: "range over iterator funcs",
		prog: `package main

import (
	"fmt"
	"iter"
	"maps"
	"slices"
	"strings"
)

func count(n int) iter.Seq[int] {
	return func(yield func(int) bool) {
		defer fmt.Println("count done")
		for i := 0; i < n; i++ {
			if !yield(i) {
				return
			}
		}
	}
}

func pairs(words ...string) iter.Seq2[int, string] {
	return func(yield func(int, string) bool) {
		for i, w := range words {
			if !yield(i, w) {
				return
			}
		}
	}
}

func firstSquareOver(n, limit int) int {
	for x := range count(n) {
		if x*x > limit {
			return x
		}
	}
	return -1
}

func main() {
	for x := range count(6) {
		if x == 1 {
			continue
		}
		if x == 4 {
			break
		}
		fmt.Println("x", x)
	}
	fmt.Println(firstSquareOver(10, 10))
outer:
	for i, w := range pairs("a", "b", "c") {
		for j := range count(3) {
			if j == 1 && i == 0 {
				continue outer
			}
			if i == 2 {
				break outer
			}
			fmt.Println(i, w, j)
		}
	}
	var funcs []func() int
	for x := range count(3) {
		funcs = append(funcs, func() int { return x * 10 })
	}
	for _, f := range funcs {
		fmt.Print(f(), " ")
	}
	fmt.Println()
	for line := range strings.Lines("one\ntwo\n") {
		fmt.Printf("%q ", line)
	}
	for part := range strings.SplitSeq("a-b-c", "-") {
		fmt.Print(part, ";")
	}
	fmt.Println()
	n := 0
	for range maps.Keys(map[int]int{1: 1, 2: 2}) {
		n++
	}
	sum := 0
	for _, v := range slices.All([]int{4, 5}) {
		sum += v
	}
	fmt.Println(n, sum)
	next, stop := iter.Pull(count(3))
	a, ok1 := next()
	b, ok2 := next()
	stop()
	c, ok3 := next()
	fmt.Println(a, ok1, b, ok2, c, ok3)
	for v := range func(yield func(string) bool) {
		_ = yield("lit1") && yield("lit2")
	} {
		fmt.Println(v)
	}
}
`,
		stdout: `x 0
x 2
x 3
count done
count done
4
0 a 0
count done
1 b 0
1 b 1
1 b 2
count done
count done
count done
0 10 20 
"one\n" "two\n" a;b;c;
2 9
count done
0 true 1 true 0 false
lit1
lit2
`,
	},
	{
		name: "generic inference, type sets and sync.OnceValue",
		prog: `package main

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
)

type Number interface {
	~int | ~int64 | ~float64
}

func Sum[T Number](xs ...T) T {
	var s T
	for _, x := range xs {
		s += x
	}
	return s
}

func Map[T, U any](xs []T, f func(T) U) []U {
	var out []U
	for _, x := range xs {
		out = append(out, f(x))
	}
	return out
}

func First[S ~[]E, E any](s S) E { return s[0] }

type Celsius float64

type names []string

func main() {
	fmt.Println(Sum(1, 2, 3), Sum(1.5, 2), Sum(Celsius(1), Celsius(2.5)))
	fmt.Println(Map([]int{1, 2}, func(x int) string { return strconv.Itoa(x * 2) }))
	fmt.Println(First(names{"n1", "n2"}), First([]float64{2.5}))
	calls := 0
	v := sync.OnceValue(func() int { calls++; return 42 })
	fmt.Println(v(), v(), calls)
	vs := sync.OnceValues(func() (int, error) { calls++; return 0, errors.New("failed") })
	_, err := vs()
	_, err2 := vs()
	fmt.Println(err, err2, calls)
	p := sync.OnceValue(func() int { panic("boom") })
	for i := 0; i < 2; i++ {
		func() {
			defer func() { fmt.Println("recovered", recover()) }()
			p()
		}()
	}
}
`,
		stdout: `6 3.5 3.5
[2 4]
n1 2.5
42 42 1
failed failed 2
recovered boom
recovered boom
`,
	},
	{
		name: "errors.Join's Unwrap, errors.AsType, runes and reflect iterators",
		prog: `package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"reflect"
	"unicode/utf8"
)

type S struct {
	A int
	B string
}

func main() {
	err1, err2 := errors.New("err1"), errors.New("err2")
	err := errors.Join(err1, err2)
	fmt.Println(err.(interface{ Unwrap() []error }).Unwrap())
	if u, ok := err.(interface{ Unwrap() []error }); ok {
		fmt.Println(len(u.Unwrap()))
	}
	_, ok := err.(interface{ Timeout() bool })
	fmt.Println(ok)
	_, oerr := os.Open("no-such-file")
	if pe, ok := errors.AsType[*fs.PathError](fmt.Errorf("wrapped: %w", oerr)); ok {
		fmt.Println("path:", pe.Path)
	}
	valid := 'a'
	fmt.Println(utf8.ValidRune(valid), utf8.RuneLen(valid))
	for f := range reflect.TypeOf(S{}).Fields() {
		fmt.Print(f.Name, " ")
	}
	fmt.Println()
}
`,
		stdout: `[err1 err2]
2
false
path: no-such-file
true 1
A B 
`,
	},
	{
		name: "range over a func that is an iterator, and over a parameter",
		prog: `package main

import "fmt"

func seq(yield func(int) bool) {
	for i := 1; i <= 3; i++ {
		if !yield(i) {
			return
		}
	}
}

func sum(s func(func(int) bool)) (n int) {
	for x := range s {
		n += x
	}
	return n
}

func main() {
	for x := range seq {
		fmt.Print(x, " ")
	}
	fmt.Println(sum(seq))
}
`,
		stdout: "1 2 3 6\n",
	},
	{
		name: "String and Error of a cell's types inside slices, maps, structs and pointers",
		prog: `package main

import (
	"errors"
	"fmt"
)

type P struct{ N string }

func (p P) String() string { return "P(" + p.N + ")" }

type E struct{ Code int }

func (e *E) Error() string { return fmt.Sprint("E", e.Code) }

type W struct {
	In  P
	Num int
}

func main() {
	fmt.Println(P{"a"}, []P{{"b"}, {"c"}}, [1]P{{"d"}})
	fmt.Println(map[string]P{"k": {"e"}}, W{P{"f"}, 1}, &W{P{"g"}, 2})
	fmt.Printf("%v %s|%d\n", []*P{{"h"}}, []P{{"i"}}, 3)
	s := fmt.Sprint(map[string]*E{"x": {7}}, []error{&E{8}, errors.New("plain")})
	fmt.Println(s)
	err := fmt.Errorf("wrapped %v: %d", []P{{"j"}}, 9)
	fmt.Println(err, errors.Unwrap(err) == nil)
}
`,
		stdout: `P(a) [P(b) P(c)] [P(d)]
map[k:P(e)] {P(f) 1} &{P(g) 2}
[P(h)] [P(i)]|3
map[x:E7] [E8 plain]
wrapped [P(j)]: 9 true
`,
	},
}

func init() {
	for _, p := range gostdPrograms {
		stdout := p.stdout
		if strings.Contains(stdout, "BIG\n") {
			stdout = strings.Replace(stdout, "BIG\n", bigSortLine, 1)
		}
		goCases = append(goCases,
			goCase{name: p.name + " (whole program)", cells: []string{p.prog}, prog: p.prog, stdout: stdout},
			goCase{name: p.name + " (split cell)", cells: []string{splitProgram(p.prog)}, prog: p.prog, stdout: stdout})
	}
}

// bigSortLine is what go run prints for the last line of the first program: SortFunc puts
// equal elements in pdqsort's order, which the interpreted slices keeps.
const bigSortLine = "[9 0 3 6 9 9 0 6 3 3 6 0 9 0 3 0 9 6 6 9]\n"

// splitProgram turns a program into one cell: its declarations, then main's statements.
func splitProgram(prog string) string {
	head, body, ok := strings.Cut(prog, "func main() {\n")
	if !ok {
		panic(fmt.Sprintf("no func main in %q", prog))
	}
	head = strings.TrimPrefix(head, "package main\n")
	body = strings.TrimSuffix(strings.TrimRight(body, "\n"), "}")
	var lines []string
	for _, l := range strings.Split(body, "\n") {
		lines = append(lines, strings.TrimPrefix(l, "\t"))
	}
	return head + strings.Join(lines, "\n")
}
