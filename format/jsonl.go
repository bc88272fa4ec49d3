package format

import (
	"bufio"
	"io"
	"strconv"

	"github.com/hardneg/hardneg/hfds"
	"github.com/hardneg/hardneg/output"
)

// WriteJSONL writes table t as JSON Lines: one object per row, with the
// table's columns as keys in order, spelled as Python's json.dumps(...,
// ensure_ascii=False) spells them (", " and ": " separators, floats as
// repr). The HuggingFace and Parquet outputs write the same table, so every
// output of a format has the same columns.
func WriteJSONL(w io.Writer, t hfds.Table) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	keys := make([][]byte, len(t.Columns))
	for j, c := range t.Columns {
		var k []byte
		if j == 0 {
			k = append(k, '{')
		} else {
			k = append(k, ", "...)
		}
		k = output.AppendString(k, c.Name)
		keys[j] = append(k, ": "...)
	}
	buf := make([]byte, 0, 1024)
	for i := range t.NumRows() {
		buf = buf[:0]
		for j, c := range t.Columns {
			buf = append(buf, keys[j]...)
			buf = appendValue(buf, c, i)
		}
		buf = append(buf, "}\n"...)
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// appendValue appends row i of column c as JSON.
func appendValue(buf []byte, c hfds.Column, i int) []byte {
	switch c.Type {
	case hfds.String:
		return output.AppendString(buf, c.Strings[i])
	case hfds.Float64:
		return output.AppendFloat(buf, c.Float64s[i])
	case hfds.Int64:
		return strconv.AppendInt(buf, c.Int64s[i], 10)
	}
	lo, hi := c.Offsets[i], c.Offsets[i+1]
	buf = append(buf, '[')
	for k := lo; k < hi; k++ {
		if k > lo {
			buf = append(buf, ", "...)
		}
		switch c.Type {
		case hfds.ListString:
			buf = output.AppendString(buf, c.Strings[k])
		case hfds.ListFloat64:
			buf = output.AppendFloat(buf, c.Float64s[k])
		case hfds.ListInt64:
			buf = strconv.AppendInt(buf, c.Int64s[k], 10)
		}
	}
	return append(buf, ']')
}
