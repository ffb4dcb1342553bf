// Composed interface wrappers for yaegi (see render.go). Written by a one-off script; edit by hand.

package worker

import (
	"fmt"
	"reflect"

	"github.com/quire-go/quire/display"
)

type wMIMEBundleErrorString struct {
	IValue      any
	WMIMEBundle func() map[string]any
	WError      func() string
	WString     func() string
}

func (w wMIMEBundleErrorString) MIMEBundle() map[string]any { return w.WMIMEBundle() }
func (w wMIMEBundleErrorString) Error() string              { return w.WError() }
func (w wMIMEBundleErrorString) String() string             { return w.WString() }

type wMIMEBundleString struct {
	IValue      any
	WMIMEBundle func() map[string]any
	WString     func() string
}

func (w wMIMEBundleString) MIMEBundle() map[string]any { return w.WMIMEBundle() }
func (w wMIMEBundleString) String() string             { return w.WString() }

type wMIMEBundleError struct {
	IValue      any
	WMIMEBundle func() map[string]any
	WError      func() string
}

func (w wMIMEBundleError) MIMEBundle() map[string]any { return w.WMIMEBundle() }
func (w wMIMEBundleError) Error() string              { return w.WError() }

type wMIMEBundle struct {
	IValue      any
	WMIMEBundle func() map[string]any
}

func (w wMIMEBundle) MIMEBundle() map[string]any { return w.WMIMEBundle() }
func (w wMIMEBundle) String() string             { return plainOf(w.IValue) }

type wHTMLErrorString struct {
	IValue  any
	WHTML   func() string
	WError  func() string
	WString func() string
}

func (w wHTMLErrorString) HTML() string   { return w.WHTML() }
func (w wHTMLErrorString) Error() string  { return w.WError() }
func (w wHTMLErrorString) String() string { return w.WString() }

type wHTMLString struct {
	IValue  any
	WHTML   func() string
	WString func() string
}

func (w wHTMLString) HTML() string   { return w.WHTML() }
func (w wHTMLString) String() string { return w.WString() }

type wHTMLError struct {
	IValue any
	WHTML  func() string
	WError func() string
}

func (w wHTMLError) HTML() string  { return w.WHTML() }
func (w wHTMLError) Error() string { return w.WError() }

type wHTML struct {
	IValue any
	WHTML  func() string
}

func (w wHTML) HTML() string   { return w.WHTML() }
func (w wHTML) String() string { return plainOf(w.IValue) }

type wSVGErrorString struct {
	IValue  any
	WSVG    func() string
	WError  func() string
	WString func() string
}

func (w wSVGErrorString) SVG() string    { return w.WSVG() }
func (w wSVGErrorString) Error() string  { return w.WError() }
func (w wSVGErrorString) String() string { return w.WString() }

type wSVGString struct {
	IValue  any
	WSVG    func() string
	WString func() string
}

func (w wSVGString) SVG() string    { return w.WSVG() }
func (w wSVGString) String() string { return w.WString() }

type wSVGError struct {
	IValue any
	WSVG   func() string
	WError func() string
}

func (w wSVGError) SVG() string   { return w.WSVG() }
func (w wSVGError) Error() string { return w.WError() }

type wSVG struct {
	IValue any
	WSVG   func() string
}

func (w wSVG) SVG() string    { return w.WSVG() }
func (w wSVG) String() string { return plainOf(w.IValue) }

type wMarkdownErrorString struct {
	IValue    any
	WMarkdown func() string
	WError    func() string
	WString   func() string
}

func (w wMarkdownErrorString) Markdown() string { return w.WMarkdown() }
func (w wMarkdownErrorString) Error() string    { return w.WError() }
func (w wMarkdownErrorString) String() string   { return w.WString() }

type wMarkdownString struct {
	IValue    any
	WMarkdown func() string
	WString   func() string
}

func (w wMarkdownString) Markdown() string { return w.WMarkdown() }
func (w wMarkdownString) String() string   { return w.WString() }

type wMarkdownError struct {
	IValue    any
	WMarkdown func() string
	WError    func() string
}

func (w wMarkdownError) Markdown() string { return w.WMarkdown() }
func (w wMarkdownError) Error() string    { return w.WError() }

type wMarkdown struct {
	IValue    any
	WMarkdown func() string
}

func (w wMarkdown) Markdown() string { return w.WMarkdown() }
func (w wMarkdown) String() string   { return plainOf(w.IValue) }

type wLaTeXErrorString struct {
	IValue  any
	WLaTeX  func() string
	WError  func() string
	WString func() string
}

func (w wLaTeXErrorString) LaTeX() string  { return w.WLaTeX() }
func (w wLaTeXErrorString) Error() string  { return w.WError() }
func (w wLaTeXErrorString) String() string { return w.WString() }

type wLaTeXString struct {
	IValue  any
	WLaTeX  func() string
	WString func() string
}

func (w wLaTeXString) LaTeX() string  { return w.WLaTeX() }
func (w wLaTeXString) String() string { return w.WString() }

type wLaTeXError struct {
	IValue any
	WLaTeX func() string
	WError func() string
}

func (w wLaTeXError) LaTeX() string { return w.WLaTeX() }
func (w wLaTeXError) Error() string { return w.WError() }

type wLaTeX struct {
	IValue any
	WLaTeX func() string
}

func (w wLaTeX) LaTeX() string  { return w.WLaTeX() }
func (w wLaTeX) String() string { return plainOf(w.IValue) }

type wPNGErrorString struct {
	IValue  any
	WPNG    func() []byte
	WError  func() string
	WString func() string
}

func (w wPNGErrorString) PNG() []byte    { return w.WPNG() }
func (w wPNGErrorString) Error() string  { return w.WError() }
func (w wPNGErrorString) String() string { return w.WString() }

type wPNGString struct {
	IValue  any
	WPNG    func() []byte
	WString func() string
}

func (w wPNGString) PNG() []byte    { return w.WPNG() }
func (w wPNGString) String() string { return w.WString() }

type wPNGError struct {
	IValue any
	WPNG   func() []byte
	WError func() string
}

func (w wPNGError) PNG() []byte   { return w.WPNG() }
func (w wPNGError) Error() string { return w.WError() }

type wPNG struct {
	IValue any
	WPNG   func() []byte
}

func (w wPNG) PNG() []byte    { return w.WPNG() }
func (w wPNG) String() string { return plainOf(w.IValue) }

type wJPEGErrorString struct {
	IValue  any
	WJPEG   func() []byte
	WError  func() string
	WString func() string
}

func (w wJPEGErrorString) JPEG() []byte   { return w.WJPEG() }
func (w wJPEGErrorString) Error() string  { return w.WError() }
func (w wJPEGErrorString) String() string { return w.WString() }

type wJPEGString struct {
	IValue  any
	WJPEG   func() []byte
	WString func() string
}

func (w wJPEGString) JPEG() []byte   { return w.WJPEG() }
func (w wJPEGString) String() string { return w.WString() }

type wJPEGError struct {
	IValue any
	WJPEG  func() []byte
	WError func() string
}

func (w wJPEGError) JPEG() []byte  { return w.WJPEG() }
func (w wJPEGError) Error() string { return w.WError() }

type wJPEG struct {
	IValue any
	WJPEG  func() []byte
}

func (w wJPEG) JPEG() []byte   { return w.WJPEG() }
func (w wJPEG) String() string { return plainOf(w.IValue) }

type wJSONErrorString struct {
	IValue  any
	WJSON   func() any
	WError  func() string
	WString func() string
}

func (w wJSONErrorString) JSON() any      { return w.WJSON() }
func (w wJSONErrorString) Error() string  { return w.WError() }
func (w wJSONErrorString) String() string { return w.WString() }

type wJSONString struct {
	IValue  any
	WJSON   func() any
	WString func() string
}

func (w wJSONString) JSON() any      { return w.WJSON() }
func (w wJSONString) String() string { return w.WString() }

type wJSONError struct {
	IValue any
	WJSON  func() any
	WError func() string
}

func (w wJSONError) JSON() any     { return w.WJSON() }
func (w wJSONError) Error() string { return w.WError() }

type wJSON struct {
	IValue any
	WJSON  func() any
}

func (w wJSON) JSON() any      { return w.WJSON() }
func (w wJSON) String() string { return plainOf(w.IValue) }

type wErrorString struct {
	IValue  any
	WError  func() string
	WString func() string
}

func (w wErrorString) Error() string  { return w.WError() }
func (w wErrorString) String() string { return w.WString() }

type wError struct {
	IValue any
	WError func() string
}

func (w wError) Error() string { return w.WError() }

type wStringError struct {
	IValue  any
	WString func() string
	WError  func() string
}

func (w wStringError) String() string { return w.WString() }
func (w wStringError) Error() string  { return w.WError() }

type wString struct {
	IValue  any
	WString func() string
}

func (w wString) String() string { return w.WString() }

// renderWrappers maps each interface Show may receive to its composed wrappers, most
// complete first (yaegi picks the first whose methods the interpreted type has).
var renderWrappers = []struct {
	Iface    reflect.Type
	Wrappers []reflect.Type
}{
	{reflect.TypeOf((*display.Bundler)(nil)).Elem(), []reflect.Type{reflect.TypeOf(wMIMEBundleErrorString{}), reflect.TypeOf(wMIMEBundleString{}), reflect.TypeOf(wMIMEBundleError{}), reflect.TypeOf(wMIMEBundle{})}},
	{reflect.TypeOf((*display.HTMLer)(nil)).Elem(), []reflect.Type{reflect.TypeOf(wHTMLErrorString{}), reflect.TypeOf(wHTMLString{}), reflect.TypeOf(wHTMLError{}), reflect.TypeOf(wHTML{})}},
	{reflect.TypeOf((*display.SVGer)(nil)).Elem(), []reflect.Type{reflect.TypeOf(wSVGErrorString{}), reflect.TypeOf(wSVGString{}), reflect.TypeOf(wSVGError{}), reflect.TypeOf(wSVG{})}},
	{reflect.TypeOf((*display.Markdowner)(nil)).Elem(), []reflect.Type{reflect.TypeOf(wMarkdownErrorString{}), reflect.TypeOf(wMarkdownString{}), reflect.TypeOf(wMarkdownError{}), reflect.TypeOf(wMarkdown{})}},
	{reflect.TypeOf((*display.LaTeXer)(nil)).Elem(), []reflect.Type{reflect.TypeOf(wLaTeXErrorString{}), reflect.TypeOf(wLaTeXString{}), reflect.TypeOf(wLaTeXError{}), reflect.TypeOf(wLaTeX{})}},
	{reflect.TypeOf((*display.PNGer)(nil)).Elem(), []reflect.Type{reflect.TypeOf(wPNGErrorString{}), reflect.TypeOf(wPNGString{}), reflect.TypeOf(wPNGError{}), reflect.TypeOf(wPNG{})}},
	{reflect.TypeOf((*display.JPEGer)(nil)).Elem(), []reflect.Type{reflect.TypeOf(wJPEGErrorString{}), reflect.TypeOf(wJPEGString{}), reflect.TypeOf(wJPEGError{}), reflect.TypeOf(wJPEG{})}},
	{reflect.TypeOf((*display.JSONer)(nil)).Elem(), []reflect.Type{reflect.TypeOf(wJSONErrorString{}), reflect.TypeOf(wJSONString{}), reflect.TypeOf(wJSONError{}), reflect.TypeOf(wJSON{})}},
	{reflect.TypeOf((*error)(nil)).Elem(), []reflect.Type{reflect.TypeOf(wErrorString{}), reflect.TypeOf(wError{})}},
	{reflect.TypeOf((*fmt.Stringer)(nil)).Elem(), []reflect.Type{reflect.TypeOf(wStringError{}), reflect.TypeOf(wString{})}},
}

var _ = fmt.Sprint
