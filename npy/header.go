package npy

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
)

const magic = "\x93NUMPY"

// maxDepth bounds tuple and list nesting, so that a hostile header of
// nothing but '(' cannot grow the stack without limit.
const maxDepth = 32

// ParseHeader parses the magic string, format version, header length and
// header dict at the start of an .npy file, and checks that they describe a
// matrix this package reads: dtype '<f2', '<f4' or '<f8', C order, and shape
// (rows, cols) with rows and cols positive. b must hold at least the whole
// header; bytes after it are ignored, and the size of the data section is
// not checked (Open does that).
//
// Errors are *FormatError values that give the byte offset of the problem
// and wrap one of the sentinel errors. On error the Header is zero.
func ParseHeader(b []byte) (Header, error) {
	h, err := parseHeader(b)
	if err != nil {
		err.Op = "parse header"
		return Header{}, err
	}
	return h, nil
}

func parseHeader(b []byte) (Header, *FormatError) {
	if len(b) == 0 {
		return Header{}, bad(0, ErrTruncated, "file is empty")
	}
	n := min(len(b), len(magic))
	if string(b[:n]) != magic[:n] {
		return Header{}, bad(0, ErrMagic, "starts with %q, want %q", b[:n], magic)
	}
	if len(b) < len(magic)+2 {
		return Header{}, bad(int64(len(b)), ErrTruncated, "file ends inside the magic string and version (%d bytes)", len(b))
	}
	h := Header{Major: int(b[6]), Minor: int(b[7])}
	var lenSize int
	switch {
	case h.Major == 1 && h.Minor == 0:
		lenSize = 2
	case (h.Major == 2 || h.Major == 3) && h.Minor == 0:
		lenSize = 4
	default:
		return Header{}, bad(6, ErrVersion, "format version %d.%d, want 1.0, 2.0 or 3.0", h.Major, h.Minor)
	}
	start := int64(len(magic) + 2 + lenSize)
	if int64(len(b)) < start {
		return Header{}, bad(8, ErrTruncated, "file ends inside the header length (%d bytes)", len(b))
	}
	var hlen int64
	if lenSize == 2 {
		hlen = int64(binary.LittleEndian.Uint16(b[8:]))
	} else {
		hlen = int64(binary.LittleEndian.Uint32(b[8:]))
	}
	h.DataOffset = start + hlen
	if h.DataOffset > int64(len(b)) {
		return Header{}, bad(8, ErrTruncated, "header length %d runs past end of file (%d bytes)", hlen, len(b))
	}

	// Python 2 numpy wrote longs as 3L; numpy still reads those in 1.0 and
	// 2.0 files, and so do we.
	p := &dictParser{b: b[start:h.DataOffset], base: start, longSuffix: h.Major <= 2}
	d, err := p.dict()
	if err != nil {
		return Header{}, err
	}
	if err := d.check(&h); err != nil {
		return Header{}, err
	}
	return h, nil
}

func bad(off int64, sentinel error, format string, args ...any) *FormatError {
	return &FormatError{Offset: off, Msg: fmt.Sprintf(format, args...), Err: sentinel}
}

type kind int

const (
	kString kind = iota
	kInt
	kBool
	kNone
	kTuple
	kList
)

var kindNames = [...]string{kString: "a string", kInt: "an int", kBool: "a bool", kNone: "None", kTuple: "a tuple", kList: "a list"}

// value is one Python literal from the header dict.
type value struct {
	off   int64 // file offset of its first byte
	kind  kind
	text  string // the source text, for messages
	str   string
	n     int64
	huge  bool // an int that does not fit in int64
	b     bool
	elems []value
}

// headerDict holds the three keys numpy writes; nil means absent.
type headerDict struct {
	descr, fortran, shape *value
	end                   int64 // offset of the closing '}'
}

// dictParser reads the subset of Python literal syntax that numpy's
// safe_eval accepts in a header and that can describe a plain array:
// strings, ints, True, False, None, tuples and lists.
type dictParser struct {
	b          []byte
	base       int64
	pos        int
	longSuffix bool
}

func (p *dictParser) off() int64 { return p.base + int64(p.pos) }

func (p *dictParser) errf(sentinel error, format string, args ...any) *FormatError {
	return bad(p.off(), sentinel, format, args...)
}

// unclosed reports running off the end of the declared header length,
// which is how a wrong header length or a cut-off dict shows up.
func (p *dictParser) unclosed(what string) *FormatError {
	return p.errf(ErrHeader, "%s not closed within the declared header length (%d bytes): header longer than its declared length", what, len(p.b))
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func (p *dictParser) skipSpace() {
	for p.pos < len(p.b) && isSpace(p.b[p.pos]) {
		p.pos++
	}
}

func (p *dictParser) dict() (*headerDict, *FormatError) {
	// literal_eval strips leading spaces and tabs, but not newlines.
	for p.pos < len(p.b) && (p.b[p.pos] == ' ' || p.b[p.pos] == '\t') {
		p.pos++
	}
	if p.pos == len(p.b) {
		return nil, p.errf(ErrHeader, "header is empty")
	}
	if p.b[p.pos] != '{' {
		return nil, p.errf(ErrHeader, "header starts with %q, want a dict", p.b[p.pos])
	}
	p.pos++
	d := &headerDict{}
	for {
		p.skipSpace()
		if p.pos == len(p.b) {
			return nil, p.unclosed("header dict")
		}
		if p.b[p.pos] == '}' {
			break
		}
		key, err := p.value(0)
		if err != nil {
			return nil, err
		}
		if key.kind != kString {
			return nil, bad(key.off, ErrHeader, "dict key %s is %s, want a string", key.text, kindNames[key.kind])
		}
		var slot **value
		switch key.str {
		case "descr":
			slot = &d.descr
		case "fortran_order":
			slot = &d.fortran
		case "shape":
			slot = &d.shape
		default:
			return nil, bad(key.off, ErrHeader, "unexpected key %s, want only 'descr', 'fortran_order' and 'shape'", key.text)
		}
		if *slot != nil {
			return nil, bad(key.off, ErrHeader, "key %s appears twice", key.text)
		}
		p.skipSpace()
		if p.pos == len(p.b) {
			return nil, p.unclosed("header dict")
		}
		if p.b[p.pos] != ':' {
			return nil, p.errf(ErrHeader, "found %q after key %s, want ':'", p.b[p.pos], key.text)
		}
		p.pos++
		p.skipSpace()
		v, err := p.value(0)
		if err != nil {
			return nil, err
		}
		*slot = &v
		p.skipSpace()
		if p.pos == len(p.b) {
			return nil, p.unclosed("header dict")
		}
		switch p.b[p.pos] {
		case ',':
			p.pos++
		case '}':
		default:
			return nil, p.errf(ErrHeader, "found %q after the value of %s, want ',' or '}'", p.b[p.pos], key.text)
		}
	}
	d.end = p.off()
	p.pos++
	p.skipSpace()
	if p.pos < len(p.b) {
		return nil, p.errf(ErrHeader, "found %q after the header dict, want only padding", p.b[p.pos])
	}
	return d, nil
}

func (p *dictParser) value(depth int) (value, *FormatError) {
	if p.pos == len(p.b) {
		return value{}, p.unclosed("header dict")
	}
	start := p.pos
	v := value{off: p.off()}
	var err *FormatError
	switch c := p.b[p.pos]; {
	case c == '\'' || c == '"':
		err = p.str(&v)
	case c == '(' || c == '[':
		if depth >= maxDepth {
			return value{}, p.errf(ErrHeader, "tuples nested more than %d deep", maxDepth)
		}
		err = p.seq(&v, depth)
	case c == '-' || c == '+' || isDigit(c):
		err = p.int(&v)
	case isIdentStart(c):
		err = p.name(&v)
	default:
		return value{}, p.errf(ErrHeader, "unexpected %q, want a string, int, bool or tuple", c)
	}
	if err != nil {
		return value{}, err
	}
	if v.text == "" {
		v.text = string(p.b[start:p.pos])
	}
	return v, nil
}

func (p *dictParser) str(v *value) *FormatError {
	q := p.b[p.pos]
	start := p.pos
	p.pos++
	for p.pos < len(p.b) {
		switch c := p.b[p.pos]; c {
		case q:
			p.pos++
			v.kind = kString
			v.str = string(p.b[start+1 : p.pos-1])
			return nil
		case '\\':
			// No dtype this package accepts needs an escape, so refusing
			// them costs nothing and keeps the parser small.
			return p.errf(ErrHeader, "backslash escapes in strings are not supported")
		case '\n', '\r':
			return p.errf(ErrHeader, "string %s not closed on its line", p.b[start:p.pos])
		}
		p.pos++
	}
	return p.unclosed("string")
}

// seq reads a tuple or list. As in Python, "(3)" is just 3, not a tuple.
func (p *dictParser) seq(v *value, depth int) *FormatError {
	open := p.b[p.pos]
	closing, what := byte(')'), "tuple"
	v.kind = kTuple
	if open == '[' {
		closing, what = ']', "list"
		v.kind = kList
	}
	start := p.pos
	p.pos++
	sawComma := false
	for {
		p.skipSpace()
		if p.pos == len(p.b) {
			return p.unclosed(what)
		}
		if p.b[p.pos] == closing {
			break
		}
		e, err := p.value(depth + 1)
		if err != nil {
			return err
		}
		v.elems = append(v.elems, e)
		p.skipSpace()
		if p.pos == len(p.b) {
			return p.unclosed(what)
		}
		if c := p.b[p.pos]; c == ',' {
			sawComma = true
			p.pos++
		} else if c != closing {
			return p.errf(ErrHeader, "found %q in a %s, want ',' or %q", c, what, closing)
		}
	}
	p.pos++
	if open == '(' && len(v.elems) == 1 && !sawComma {
		inner := v.elems[0]
		inner.off = v.off
		inner.text = string(p.b[start:p.pos])
		*v = inner
	}
	return nil
}

func isDigit(c byte) bool      { return '0' <= c && c <= '9' }
func isIdentStart(c byte) bool { return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isIdent(c byte) bool      { return isIdentStart(c) || isDigit(c) }

func (p *dictParser) int(v *value) *FormatError {
	neg := false
	if c := p.b[p.pos]; c == '-' || c == '+' {
		neg = c == '-'
		p.pos++
		p.skipSpace()
	}
	digits := p.pos
	var n uint64
	huge := false
	for p.pos < len(p.b) && isDigit(p.b[p.pos]) {
		d := uint64(p.b[p.pos] - '0')
		if n > (math.MaxInt64-d)/10 {
			huge = true
		} else {
			n = n*10 + d
		}
		p.pos++
	}
	if p.pos == digits {
		if p.pos == len(p.b) {
			return p.unclosed("header dict")
		}
		return p.errf(ErrHeader, "found %q after a sign, want a digit", p.b[p.pos])
	}
	if p.longSuffix && p.pos < len(p.b) && (p.b[p.pos] == 'L' || p.b[p.pos] == 'l') {
		p.pos++
	}
	if p.pos < len(p.b) && (p.b[p.pos] == '.' || isIdent(p.b[p.pos])) {
		return p.errf(ErrHeader, "unsupported number syntax %q, want a decimal int", p.b[digits:p.pos+1])
	}
	v.kind = kInt
	v.huge = huge
	v.n = int64(n)
	if neg {
		v.n = -v.n
	}
	return nil
}

func (p *dictParser) name(v *value) *FormatError {
	start := p.pos
	for p.pos < len(p.b) && isIdent(p.b[p.pos]) {
		p.pos++
	}
	switch id := string(p.b[start:p.pos]); id {
	case "True", "False":
		v.kind, v.b = kBool, id == "True"
	case "None":
		v.kind = kNone
	default:
		p.pos = start
		return p.errf(ErrHeader, "unknown name %q, want True, False or None", id)
	}
	return nil
}

// check applies numpy's own checks on the header values, then this
// package's narrower ones, and fills in h.
func (d *headerDict) check(h *Header) *FormatError {
	for _, k := range []struct {
		v    *value
		name string
	}{{d.descr, "descr"}, {d.fortran, "fortran_order"}, {d.shape, "shape"}} {
		if k.v == nil {
			return bad(d.end, ErrHeader, "missing key '%s'", k.name)
		}
	}

	switch v := d.descr; v.kind {
	case kString:
		h.DType = DType(v.str)
		if h.DType.Size() == 0 {
			hint := ""
			if strings.HasPrefix(v.str, ">") {
				hint = " (big-endian)"
			}
			return bad(v.off, ErrDType, "descr %s%s, want '<f2', '<f4' or '<f8'", v.text, hint)
		}
	case kList:
		return bad(v.off, ErrDType, "structured descr %s, want '<f2', '<f4' or '<f8'", v.text)
	default:
		return bad(v.off, ErrHeader, "descr %s is %s, want a string", v.text, kindNames[v.kind])
	}

	if v := d.fortran; v.kind != kBool {
		return bad(v.off, ErrHeader, "fortran_order %s is %s, want True or False", v.text, kindNames[v.kind])
	} else if v.b {
		return bad(v.off, ErrFortran, "fortran_order is True, want False")
	}

	v := d.shape
	if v.kind != kTuple {
		return bad(v.off, ErrHeader, "shape %s is %s, want a tuple", v.text, kindNames[v.kind])
	}
	for i, e := range v.elems {
		if e.kind != kInt {
			return bad(e.off, ErrHeader, "shape %s entry %d is %s, want an int", v.text, i, kindNames[e.kind])
		}
	}
	if len(v.elems) != 2 {
		return bad(v.off, ErrShape, "shape %s is %d-D, want 2-D (rows, cols)", v.text, len(v.elems))
	}
	for i, e := range v.elems {
		axis := [...]string{"rows", "cols"}[i]
		switch {
		case e.huge:
			return bad(e.off, ErrShape, "shape %s: %s %s is too large", v.text, axis, e.text)
		case e.n < 0:
			return bad(e.off, ErrShape, "shape %s: %s %s is negative", v.text, axis, e.text)
		case e.n == 0:
			return bad(e.off, ErrShape, "shape %s has no %s", v.text, axis)
		}
	}
	rows, cols := v.elems[0].n, v.elems[1].n
	// The data must be addressable as one slice, so rows*cols*size may not
	// overflow an int; checking by division cannot overflow itself.
	if limit := (math.MaxInt - h.DataOffset) / int64(h.DType.Size()); rows > limit/cols {
		return bad(v.off, ErrShape, "shape %s of %s is too large to address", v.text, h.DType)
	}
	h.Shape = []int{int(rows), int(cols)}
	return nil
}
