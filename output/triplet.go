package output

import (
	"bufio"
	"io"
	"math"
	"strconv"

	"github.com/hardneg/hardneg/hfds"
)

// Triplet is one output row, held as vocabulary rows so that a data set of
// millions of rows costs a few bytes a row until it is written.
type Triplet struct {
	Anchor, Positive, Negative int32
	Sim                        float32 // the negative's similarity to the anchor
	Band                       int8    // index into the band names
}

// Rows is a view of triplets in a given order, with what is needed to spell
// them out.
type Rows struct {
	Triplets []Triplet
	Order    []int    // indices into Triplets, in output order
	Terms    []string // vocabulary
	Bands    []string // band names, the difficulty labels
}

// Len is the number of rows in the view.
func (r Rows) Len() int { return len(r.Order) }

// TripletColumns is the column layout of the notebook's triplet data set.
var TripletColumns = []string{"anchor", "positive", "negative", "negative_similarity", "difficulty"}

// WriteJSONL writes one JSON object per row, keys in TripletColumns order.
func WriteJSONL(w io.Writer, r Rows) error { return writeTriplets(w, r, nil) }

// writeTriplets writes the triplet JSONL, with positive_similarity last when
// pos is set.
func writeTriplets(w io.Writer, r Rows, pos PositiveSim) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	buf := make([]byte, 0, 256)
	for _, i := range r.Order {
		t := r.Triplets[i]
		buf = buf[:0]
		buf = append(buf, `{"anchor": `...)
		buf = AppendString(buf, r.Terms[t.Anchor])
		buf = append(buf, `, "positive": `...)
		buf = AppendString(buf, r.Terms[t.Positive])
		buf = append(buf, `, "negative": `...)
		buf = AppendString(buf, r.Terms[t.Negative])
		buf = append(buf, `, "negative_similarity": `...)
		buf = AppendFloat(buf, float64(t.Sim))
		buf = append(buf, `, "difficulty": `...)
		buf = AppendString(buf, r.Bands[t.Band])
		if pos != nil {
			buf = append(buf, `, "positive_similarity": `...)
			buf = AppendFloat(buf, float64(pos(t.Anchor, t.Positive)))
		}
		buf = append(buf, "}\n"...)
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// Table returns the rows as the notebook's five columns. The strings share
// memory with the vocabulary.
func Table(r Rows) hfds.Table {
	n := r.Len()
	anchor, positive, negative, difficulty := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	sim := make([]float64, n)
	for k, i := range r.Order {
		t := r.Triplets[i]
		anchor[k], positive[k], negative[k] = r.Terms[t.Anchor], r.Terms[t.Positive], r.Terms[t.Negative]
		sim[k] = float64(t.Sim)
		difficulty[k] = r.Bands[t.Band]
	}
	return hfds.Table{Columns: []hfds.Column{
		{Name: "anchor", Type: hfds.String, Strings: anchor},
		{Name: "positive", Type: hfds.String, Strings: positive},
		{Name: "negative", Type: hfds.String, Strings: negative},
		{Name: "negative_similarity", Type: hfds.Float64, Float64s: sim},
		{Name: "difficulty", Type: hfds.String, Strings: difficulty},
	}}
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
