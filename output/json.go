package output

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"strconv"
)

// MarshalIndent encodes v with two-space indentation and without escaping
// '<', '>' and '&' or non-ASCII text, the way Python's
// json.dump(..., indent=2, ensure_ascii=False) lays out a document.
func MarshalIndent(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteJSONFile writes v to path with MarshalIndent.
func WriteJSONFile(path string, v any) error {
	b, err := MarshalIndent(v)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// AppendString appends s as a JSON string the way Python's json.dumps with
// ensure_ascii=False does: only '"', '\\' and control characters are escaped.
// s must be valid UTF-8 (the readers guarantee it).
func AppendString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		buf = append(buf, s[start:i]...)
		switch c {
		case '"':
			buf = append(buf, `\"`...)
		case '\\':
			buf = append(buf, `\\`...)
		case '\n':
			buf = append(buf, `\n`...)
		case '\r':
			buf = append(buf, `\r`...)
		case '\t':
			buf = append(buf, `\t`...)
		case '\b':
			buf = append(buf, `\b`...)
		case '\f':
			buf = append(buf, `\f`...)
		default:
			const hex = "0123456789abcdef"
			buf = append(buf, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}

// AppendFloat appends f as Python's repr(float) spells it: the shortest
// digits that read back to f, "1.0" rather than "1", exponents from 1e16 up
// and below 1e-4, and NaN/Infinity as Python's json module writes them.
func AppendFloat(buf []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(buf, "NaN"...)
	case math.IsInf(f, 1):
		return append(buf, "Infinity"...)
	case math.IsInf(f, -1):
		return append(buf, "-Infinity"...)
	}
	abs := math.Abs(f)
	if abs != 0 && (abs < 1e-4 || abs >= 1e16) {
		// Go spells the exponent as Python does: 1e-05, 1.5e+16.
		return strconv.AppendFloat(buf, f, 'e', -1, 64)
	}
	start := len(buf)
	buf = strconv.AppendFloat(buf, f, 'f', -1, 64)
	for _, c := range buf[start:] {
		if c == '.' {
			return buf
		}
	}
	return append(buf, ".0"...)
}
