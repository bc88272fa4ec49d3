package hfds

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"

	"github.com/hardneg/hardneg/internal/arrowcheck"
)

// triplet is one row of the notebook's schema.
type triplet struct {
	anchor, positive, negative string
	sim                        float64
	difficulty                 string
}

// referenceRows are the rows of shared/reference/datasets-5.0.1 (see its
// README.md).
var referenceRows = map[string][]triplet{
	"train": {
		{"니콜라이", "성 니콜라우스", "니콜", 0.7601234567890123, "hard"},
		{"야당", "야당정치인", "야수", 0.708, "hard"},
		{"바이어 레버쿠젠", "레버쿠젠", "배드민턴", 0.505, "medium"},
	},
	"validation": {
		{"사천면", "사천", "조짐", 0.312, "easy"},
		{"李滉", "李穡", "諡號", 0.611, "medium"},
	},
}

func referenceSplits() []Split {
	return []Split{
		{Name: "train", Table: tripletTable(referenceRows["train"])},
		{Name: "validation", Table: tripletTable(referenceRows["validation"])},
	}
}

func tripletTable(rows []triplet) Table {
	cols := []Column{
		{Name: "anchor", Type: String, Strings: []string{}},
		{Name: "positive", Type: String, Strings: []string{}},
		{Name: "negative", Type: String, Strings: []string{}},
		{Name: "negative_similarity", Type: Float64, Float64s: []float64{}},
		{Name: "difficulty", Type: String, Strings: []string{}},
	}
	for _, r := range rows {
		cols[0].Strings = append(cols[0].Strings, r.anchor)
		cols[1].Strings = append(cols[1].Strings, r.positive)
		cols[2].Strings = append(cols[2].Strings, r.negative)
		cols[3].Float64s = append(cols[3].Float64s, r.sim)
		cols[4].Strings = append(cols[4].Strings, r.difficulty)
	}
	return Table{Columns: cols}
}

// tableRows returns the table's rows as Go values, the form readArrowGo and
// nodeRows return: string, float64 and int64 for scalars, and []string,
// []float64 and []int64 (never nil) for lists.
func tableRows(t Table) [][]any {
	rows := make([][]any, t.NumRows())
	for i := range rows {
		row := make([]any, len(t.Columns))
		for j, c := range t.Columns {
			switch c.Type {
			case String:
				row[j] = c.Strings[i]
			case Float64:
				row[j] = c.Float64s[i]
			case Int64:
				row[j] = c.Int64s[i]
			case ListString:
				row[j] = append([]string{}, c.Strings[c.Offsets[i]:c.Offsets[i+1]]...)
			case ListFloat64:
				row[j] = append([]float64{}, c.Float64s[c.Offsets[i]:c.Offsets[i+1]]...)
			case ListInt64:
				row[j] = append([]int64{}, c.Int64s[c.Offsets[i]:c.Offsets[i+1]]...)
			}
		}
		rows[i] = row
	}
	return rows
}

// listColumn makes a list column of type typ from one Go slice per row:
// [][]string for ListString, [][]float64 for ListFloat64, [][]int64 for
// ListInt64.
func listColumn(name string, typ Type, rows any) Column {
	c := Column{Name: name, Type: typ, Offsets: []int{0}}
	add := func(n int) { c.Offsets = append(c.Offsets, c.Offsets[len(c.Offsets)-1]+n) }
	switch rows := rows.(type) {
	case [][]string:
		c.Strings = []string{}
		for _, r := range rows {
			c.Strings = append(c.Strings, r...)
			add(len(r))
		}
	case [][]float64:
		c.Float64s = []float64{}
		for _, r := range rows {
			c.Float64s = append(c.Float64s, r...)
			add(len(r))
		}
	case [][]int64:
		c.Int64s = []int64{}
		for _, r := range rows {
			c.Int64s = append(c.Int64s, r...)
			add(len(r))
		}
	default:
		panic(fmt.Sprintf("listColumn: %T", rows))
	}
	return c
}

// listValue returns element k of list array a as a Go slice of the type
// tableRows uses.
func listValue(a *array.List, k int) (any, error) {
	lo, hi := a.ValueOffsets(k)
	switch v := a.ListValues().(type) {
	case *array.String:
		out := []string{}
		for i := lo; i < hi; i++ {
			if v.IsNull(int(i)) {
				return nil, fmt.Errorf("item %d is null", i-lo)
			}
			out = append(out, v.Value(int(i)))
		}
		return out, nil
	case *array.Float64:
		if v.NullN() > 0 {
			return nil, errors.New("list items are null")
		}
		return append([]float64{}, v.Float64Values()[lo:hi]...), nil
	case *array.Int64:
		if v.NullN() > 0 {
			return nil, errors.New("list items are null")
		}
		return append([]int64{}, v.Int64Values()[lo:hi]...), nil
	}
	return nil, fmt.Errorf("unexpected list item type %s", a.DataType())
}

// shardDump is one .arrow file as arrow-go's stream reader decodes it.
type shardDump struct {
	schema  *arrow.Schema
	batches []int
	rows    [][]any
}

// readArrowGo reads path as an Arrow IPC stream with arrow-go.
func readArrowGo(t testing.TB, path string) shardDump {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.HasPrefix(b, []byte("ARROW1")) {
		t.Fatalf("%s: IPC file format, want the streaming format", path)
	}
	r, err := ipc.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer r.Release()
	d := shardDump{schema: r.Schema()}
	for r.Next() {
		rec := r.RecordBatch()
		d.batches = append(d.batches, int(rec.NumRows()))
		for i := 0; i < int(rec.NumRows()); i++ {
			row := make([]any, rec.NumCols())
			for j, col := range rec.Columns() {
				if col.IsNull(i) {
					t.Fatalf("%s: row %d column %d is null", path, i, j)
				}
				switch a := col.(type) {
				case *array.String:
					row[j] = a.Value(i)
				case *array.Float64:
					row[j] = a.Value(i)
				case *array.Int64:
					row[j] = a.Value(i)
				case *array.List:
					v, err := listValue(a, i)
					if err != nil {
						t.Fatalf("%s: row %d column %d: %v", path, i, j, err)
					}
					row[j] = v
				default:
					t.Fatalf("%s: unexpected array type %s", path, col.DataType())
				}
			}
			d.rows = append(d.rows, row)
		}
	}
	if err := r.Err(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return d
}

// readSplitArrowGo reads every shard of splitDir, in state.json order.
func readSplitArrowGo(t testing.TB, splitDir string, files []string) (schemas []*arrow.Schema, batches []int, rows [][]any) {
	t.Helper()
	for _, f := range files {
		d := readArrowGo(t, filepath.Join(splitDir, f))
		schemas = append(schemas, d.schema)
		batches = append(batches, d.batches...)
		rows = append(rows, d.rows...)
	}
	return schemas, batches, rows
}

// sameRows compares rows exactly; float64 values by their bits, lists item
// by item.
func sameRows(got, want [][]any) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d rows, want %d", len(got), len(want))
	}
	for i := range got {
		if len(got[i]) != len(want[i]) {
			return fmt.Errorf("row %d: %d values, want %d", i, len(got[i]), len(want[i]))
		}
		for j := range got[i] {
			if g, w := got[i][j], want[i][j]; !sameValue(g, w) {
				return fmt.Errorf("row %d column %d: got %#v, want %#v", i, j, g, w)
			}
		}
	}
	return nil
}

// sameValue compares two values of the forms tableRows returns, and refuses
// a nil list: readers return empty lists as empty slices.
func sameValue(g, w any) bool {
	switch g := g.(type) {
	case float64:
		w, ok := w.(float64)
		return ok && math.Float64bits(g) == math.Float64bits(w)
	case []float64:
		w, ok := w.([]float64)
		return ok && g != nil && w != nil && slices.EqualFunc(g, w, func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) })
	case []string:
		w, ok := w.([]string)
		return ok && g != nil && w != nil && slices.Equal(g, w)
	case []int64:
		w, ok := w.([]int64)
		return ok && g != nil && w != nil && slices.Equal(g, w)
	case string, int64:
		return g == w
	}
	return false
}

// fieldsString describes a schema's fields and metadata for comparison.
func fieldsString(s *arrow.Schema) string {
	var b strings.Builder
	for _, f := range s.Fields() {
		fmt.Fprintf(&b, "%s: %s nullable=%v\n", f.Name, f.Type, f.Nullable)
	}
	md := s.Metadata()
	for i, k := range md.Keys() {
		fmt.Fprintf(&b, "metadata %q: %q\n", k, md.Values()[i])
	}
	return b.String()
}

// sharedReference returns shared/reference/datasets-5.0.1/triplet_dataset,
// which lives beside the repository (../shared from the folder holding
// go.mod), or skips the test when it is absent.
func sharedReference(t testing.TB) string {
	t.Helper()
	root, err := arrowcheck.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "..", "shared", "reference", "datasets-5.0.1", "triplet_dataset")
	if _, err := os.Stat(filepath.Join(dir, "dataset_dict.json")); err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		msg := fmt.Sprintf("reference fixtures not found at %s (they live in shared/ beside the repository)", dir)
		if os.Getenv(arrowcheck.EnvRequired) == "required" {
			t.Fatalf("%s (%s=required)", msg, arrowcheck.EnvRequired)
		}
		t.Skip(msg)
	}
	return dir
}

// dataFiles returns the shard names listed in splitDir/state.json.
func dataFiles(t testing.TB, splitDir string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(splitDir, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		DataFiles []struct {
			Filename string `json:"filename"`
		} `json:"_data_files"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatalf("%s: %v", splitDir, err)
	}
	var names []string
	for _, f := range st.DataFiles {
		names = append(names, f.Filename)
	}
	return names
}
