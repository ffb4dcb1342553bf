// Package format defines the on-disk form of the godoc index, shared by the generator
// (internal/gen) and the runtime reader (package godoc).
//
// The file is gzip-compressed. Decompressed, it is:
//
//	magic "quire-godoc\n"
//	uvarint Version
//	uvarint N, then N uvarint string lengths, then the N strings' bytes back to back
//	the index: string references are uvarint positions in that table
//	  goVersion generator
//	  uvarint packages; per package: path name synopsis doc since, uvarint symbols;
//	  per symbol: name, kind byte, decl doc since
//
// Strings are deduplicated (group declarations and docs are shared by every member), and the
// reader slices them all out of one string, so loading allocates little beyond the structs.
package format

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Version is the format version. Bump it whenever the layout or the meaning of a field changes
// (including what the generator records), then regenerate the index.
const Version = 2

const magic = "quire-godoc\n"

// Kind codes of a symbol.
const (
	KindFunc byte = iota + 1
	KindType
	KindMethod
	KindConst
	KindVar
)

// Index is the whole documentation index.
type Index struct {
	GoVersion string // version of the Go tree it was generated from, e.g. "go1.26.8"
	Generator string // SourceHash of the generator that wrote it
	Packages  []Package
}

// Package is one indexed package. Symbols are sorted by Name.
type Package struct {
	Path, Name, Synopsis, Doc string
	Since                     string // earliest Since of its symbols; "" if unknown
	Symbols                   []Symbol
}

// Symbol is one exported member. Methods are named "Type.Method".
type Symbol struct {
	Name  string
	Kind  byte
	Decl  string // Go source of the declaration, without body
	Doc   string // doc comment text (go/doc comment syntax)
	Since string // Go version that added it ("go1", "go1.21", ...); "" if unknown
}

// GeneratorSources are the files, relative to the godoc package directory, whose content
// decides what the generator writes; SourceHash digests them.
var GeneratorSources = []string{"internal/gen/main.go", "internal/format/format.go"}

// SourceHash returns a hex SHA-256 of GeneratorSources read from pkgDir, the godoc package
// directory. The generator stores it in the index; a test compares it with the sources to
// catch an index that was not regenerated after the generator changed.
func SourceHash(pkgDir string) (string, error) {
	h := sha256.New()
	for _, name := range GeneratorSources {
		data, err := os.ReadFile(filepath.Join(pkgDir, filepath.FromSlash(name)))
		if err != nil {
			return "", fmt.Errorf("godoc source hash: %w", err)
		}
		fmt.Fprintf(h, "%s %d\n", name, len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Encode writes ix to w in the compressed format.
func Encode(w io.Writer, ix *Index) error {
	var (
		ids   = map[string]uint64{}
		table []string
		body  []byte
	)
	ref := func(s string) {
		id, ok := ids[s]
		if !ok {
			id = uint64(len(table))
			ids[s] = id
			table = append(table, s)
		}
		body = binary.AppendUvarint(body, id)
	}
	ref(ix.GoVersion)
	ref(ix.Generator)
	body = binary.AppendUvarint(body, uint64(len(ix.Packages)))
	for _, p := range ix.Packages {
		for _, s := range []string{p.Path, p.Name, p.Synopsis, p.Doc, p.Since} {
			ref(s)
		}
		body = binary.AppendUvarint(body, uint64(len(p.Symbols)))
		for _, s := range p.Symbols {
			ref(s.Name)
			body = append(body, s.Kind)
			ref(s.Decl)
			ref(s.Doc)
			ref(s.Since)
		}
	}

	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return fmt.Errorf("godoc format: %w", err)
	}
	bw := bufio.NewWriter(zw)
	var hdr []byte
	hdr = append(hdr, magic...)
	hdr = binary.AppendUvarint(hdr, Version)
	hdr = binary.AppendUvarint(hdr, uint64(len(table)))
	for _, s := range table {
		hdr = binary.AppendUvarint(hdr, uint64(len(s)))
	}
	bw.Write(hdr)
	for _, s := range table {
		bw.WriteString(s)
	}
	bw.Write(body)
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("godoc format: write: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("godoc format: write: %w", err)
	}
	return nil
}

// ErrVersion reports an index written by a different format version: regenerate it.
var ErrVersion = errors.New("godoc index format version mismatch (run go generate)")

// Decode reads an index written by Encode.
func Decode(compressed []byte) (*Index, error) {
	zr, err := gzip.NewReader(bytes.NewReader(compressed))
	if err != nil {
		return nil, fmt.Errorf("godoc index: %w", err)
	}
	// The gzip trailer's last 4 bytes hold the decompressed size (mod 2^32): allocate once.
	size := 0
	if n := len(compressed); n >= 4 {
		size = int(binary.LittleEndian.Uint32(compressed[n-4:]))
	}
	buf := bytes.NewBuffer(make([]byte, 0, size+bytes.MinRead))
	if _, err := buf.ReadFrom(zr); err != nil {
		return nil, fmt.Errorf("godoc index: decompress: %w", err)
	}
	return decodeRaw(buf.Bytes())
}

// reader walks the decompressed bytes; the first error sticks.
type reader struct {
	buf []byte
	off int
	err error
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.buf[r.off:])
	if n <= 0 {
		r.err = fmt.Errorf("bad varint at offset %d", r.off)
		return 0
	}
	r.off += n
	return v
}

func (r *reader) byte() byte {
	if r.err != nil {
		return 0
	}
	if r.off >= len(r.buf) {
		r.err = io.ErrUnexpectedEOF
		return 0
	}
	b := r.buf[r.off]
	r.off++
	return b
}

func decodeRaw(raw []byte) (*Index, error) {
	if !bytes.HasPrefix(raw, []byte(magic)) {
		return nil, errors.New("godoc index: bad magic")
	}
	r := &reader{buf: raw, off: len(magic)}
	if v := r.uvarint(); r.err == nil && v != Version {
		return nil, fmt.Errorf("%w: file has %d, reader wants %d", ErrVersion, v, Version)
	}
	n := r.uvarint()
	if r.err != nil || n > uint64(len(raw)) {
		return nil, fmt.Errorf("godoc index: bad string table: %v", r.err)
	}
	lens := make([]uint64, n)
	total := uint64(0)
	for i := range lens {
		lens[i] = r.uvarint()
		total += lens[i]
	}
	if r.err != nil || total > uint64(len(raw)-r.off) {
		return nil, fmt.Errorf("godoc index: truncated string table: %v", r.err)
	}
	all := string(raw[r.off : r.off+int(total)]) // one copy; every string below is a slice of it
	r.off += int(total)
	table := make([]string, n)
	pos := uint64(0)
	for i, l := range lens {
		table[i] = all[pos : pos+l]
		pos += l
	}
	str := func() string {
		id := r.uvarint()
		if id >= uint64(len(table)) {
			if r.err == nil {
				r.err = fmt.Errorf("string id %d out of range", id)
			}
			return ""
		}
		return table[id]
	}

	ix := &Index{GoVersion: str(), Generator: str()}
	np := r.uvarint()
	if r.err != nil || np > uint64(len(raw)) {
		return nil, fmt.Errorf("godoc index: bad package count: %v", r.err)
	}
	ix.Packages = make([]Package, np)
	for i := range ix.Packages {
		p := &ix.Packages[i]
		p.Path, p.Name, p.Synopsis, p.Doc, p.Since = str(), str(), str(), str(), str()
		ns := r.uvarint()
		if r.err != nil || ns > uint64(len(raw)) {
			return nil, fmt.Errorf("godoc index: bad symbol count in %q: %v", p.Path, r.err)
		}
		p.Symbols = make([]Symbol, ns)
		for j := range p.Symbols {
			s := &p.Symbols[j]
			s.Name = str()
			s.Kind = r.byte()
			s.Decl, s.Doc, s.Since = str(), str(), str()
		}
		if r.err != nil {
			return nil, fmt.Errorf("godoc index: package %q: %w", p.Path, r.err)
		}
	}
	if r.err == nil && r.off != len(raw) {
		r.err = fmt.Errorf("%d trailing bytes", len(raw)-r.off)
	}
	if r.err != nil {
		return nil, fmt.Errorf("godoc index: %w", r.err)
	}
	return ix, nil
}
