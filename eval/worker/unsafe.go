package worker

import (
	"reflect"
	"unsafe"
)

// unsafeFuncs are the funcs of package unsafe newer than yaegi v0.16.1's table (Go 1.20's
// StringData and String; the generic Slice and SliceData are not there).
var unsafeFuncs = map[string]map[string]reflect.Value{
	"unsafe/unsafe": {
		"StringData": reflect.ValueOf(func(s string) *byte { return unsafe.StringData(s) }),
		"String":     reflect.ValueOf(func(p *byte, n int) string { return unsafe.String(p, n) }),
	},
}
