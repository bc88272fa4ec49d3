package hfds

// These tests read save_to_disk folders with apache-arrow under node
// (internal/arrowcheck), an Arrow implementation other than the arrow-go that
// wrote them. They skip when node or tools/arrowcheck/node_modules is
// missing, unless HARDNEG_ARROWCHECK=required.

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"

	"github.com/hardneg/hardneg/internal/arrowcheck"
)

// nodeTypes are apache-arrow's names for our scalar types.
var nodeTypes = map[Type]string{String: "Utf8", Float64: "Float64", Int64: "Int64"}

// nodeField is the field apache-arrow reports for a column of type typ.
func nodeField(name string, typ Type) arrowcheck.Field {
	f := arrowcheck.Field{Name: name, Type: nodeTypes[typ], Nullable: true}
	if typ.isList() {
		f.Type = "List<" + nodeTypes[typ.elem()] + ">"
		f.Item = arrowcheck.Item{Name: "item", Type: nodeTypes[typ.elem()], Nullable: true}
	}
	return f
}

// nodeValue converts one value of a node dump, of scalar type elem, to the
// Go value tableRows uses, parsing numbers exactly.
func nodeValue(v any, elem Type) (any, error) {
	switch n, isNum := v.(json.Number); {
	case elem == String:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("%T %v, want a string", v, v)
		}
		return s, nil
	case elem == Float64 && isNum:
		return strconv.ParseFloat(string(n), 64)
	case elem == Int64 && isNum:
		return strconv.ParseInt(string(n), 10, 64)
	}
	return nil, fmt.Errorf("%T %v for %v", v, v, elem)
}

// nodeList converts a list value of a node dump, whose items have scalar
// type elem, to the non-nil slice tableRows uses.
func nodeList(v any, elem Type) (any, error) {
	items, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%T %v, want a list", v, v)
	}
	ss, fs, is := []string{}, []float64{}, []int64{}
	for k, item := range items {
		x, err := nodeValue(item, elem)
		if err != nil {
			return nil, fmt.Errorf("item %d: %w", k, err)
		}
		switch x := x.(type) {
		case string:
			ss = append(ss, x)
		case float64:
			fs = append(fs, x)
		case int64:
			is = append(is, x)
		}
	}
	switch elem {
	case String:
		return ss, nil
	case Float64:
		return fs, nil
	}
	return is, nil
}

// nodeRows converts a dump's rows to Go values like readArrowGo's, parsing
// numbers exactly.
func nodeRows(t *testing.T, d arrowcheck.Dump) [][]any {
	t.Helper()
	types := map[string]Type{"Utf8": String, "Float64": Float64, "Int64": Int64}
	rows := make([][]any, len(d.Rows))
	for i, m := range d.Rows {
		if len(m) != len(d.Fields) {
			t.Fatalf("row %d has %d values, want %d", i, len(m), len(d.Fields))
		}
		row := make([]any, len(d.Fields))
		for j, f := range d.Fields {
			v, ok := m[f.Name]
			if !ok {
				t.Fatalf("row %d lacks %q", i, f.Name)
			}
			var err error
			if f.Item.Type != "" {
				elem, known := types[f.Item.Type]
				if !known {
					t.Fatalf("column %q: unexpected item type %s", f.Name, f.Item.Type)
				}
				row[j], err = nodeList(v, elem)
			} else {
				elem, known := types[f.Type]
				if !known {
					t.Fatalf("column %q: unexpected type %s", f.Name, f.Type)
				}
				row[j], err = nodeValue(v, elem)
			}
			if err != nil {
				t.Fatalf("row %d column %q: %v", i, f.Name, err)
			}
		}
		rows[i] = row
	}
	return rows
}

// checkNodeDump compares a node dump with the table that was saved.
func checkNodeDump(t *testing.T, d arrowcheck.Dump, table Table, wantBatches []int) {
	t.Helper()
	var want []arrowcheck.Field
	for _, c := range table.Columns {
		want = append(want, nodeField(c.Name, c.Type))
	}
	if !slices.Equal(d.Fields, want) {
		t.Errorf("fields %+v, want %+v", d.Fields, want)
	}
	if got, want := d.Metadata, schemaMetadataJSON(table.Columns); len(got) != 1 || got["huggingface"] != want {
		t.Errorf("metadata %q, want huggingface: %q", got, want)
	}
	if !slices.Equal(d.Batches, wantBatches) {
		t.Errorf("batches %v, want %v", d.Batches, wantBatches)
	}
	if err := sameRows(nodeRows(t, d), tableRows(table)); err != nil {
		t.Errorf("rows: %v", err)
	}
}

func TestNodeReadsOurOutput(t *testing.T) {
	extra := mixedTable(25)
	tenth, fifth := 0.1, 0.2                     // variables: constant arithmetic would give 0.3
	extra.Columns[2].Float64s[0] = tenth + fifth // 0.30000000000000004: all 17 digits
	extra.Columns[2].Float64s[1] = math.Copysign(0, -1)
	extra.Columns[2].Float64s[2] = 5e-324
	extra.Columns[1].Int64s[0] = -1 << 63
	extra.Columns[1].Int64s[1] = 1<<63 - 1
	extra.Columns[1].Int64s[2] = 1<<53 + 1 // not exact as a float64
	extra.Columns[0].Strings[3] = "따옴표 \" 역슬래시 \\ 줄바꿈 \n 😀"

	splits := append(referenceSplits(),
		Split{Name: "extra", Table: extra},
		Split{Name: "empty", Table: tripletTable(nil)},
		Split{Name: "lists", Table: listsTable(listsRows["train"])},
		Split{Name: "morelists", Table: listEdgeTable(40)},
		Split{Name: "nolists", Table: listsTable(listsRef{})},
	)
	dir := filepath.Join(t.TempDir(), "triplet_dataset")
	if err := Save(dir, splits, Options{MaxShardBytes: 300, BatchRows: 4}); err != nil {
		t.Fatal(err)
	}
	for _, s := range splits {
		t.Run(s.Name, func(t *testing.T) {
			splitDir := filepath.Join(dir, s.Name)
			files := dataFiles(t, splitDir)
			if (s.Name == "extra" || s.Name == "morelists") && len(files) < 2 {
				t.Fatalf("want several shards, got %q", files)
			}
			_, batches, _ := readSplitArrowGo(t, splitDir, files)
			checkNodeDump(t, arrowcheck.Read(t, splitDir), s.Table, batches)
		})
	}
}

func TestNodeReadsReference(t *testing.T) {
	ref := sharedReference(t)
	for _, split := range []string{"train", "validation"} {
		t.Run(split, func(t *testing.T) {
			rows := referenceRows[split]
			checkNodeDump(t, arrowcheck.Read(t, filepath.Join(ref, split)), tripletTable(rows), []int{len(rows)})
		})
	}
	for _, s := range listsSplits() {
		t.Run("lists "+s.Name, func(t *testing.T) {
			d := arrowcheck.Read(t, filepath.Join(listsReference, "lists_dataset", s.Name))
			checkNodeDump(t, d, s.Table, []int{s.Table.NumRows()})
		})
	}
}

// TestNodeRefuses checks that the node reader is strict where `datasets` is:
// apache-arrow alone would open an IPC file-format file without complaint.
func TestNodeRefuses(t *testing.T) {
	table := tripletTable(referenceRows["train"])
	good := saveOne(t, table, Options{})
	shard, err := os.ReadFile(filepath.Join(good, "data-00000-of-00001.arrow"))
	if err != nil {
		t.Fatal(err)
	}
	state, err := os.ReadFile(filepath.Join(good, "state.json"))
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		shard func(t *testing.T) []byte
		want  string
	}{
		{"IPC file format", func(t *testing.T) []byte { return ipcFileBytes(t, table) }, "ARROW1"},
		{"stream without end-of-stream marker", func(t *testing.T) []byte { return shard[:len(shard)-8] }, "end-of-stream"},
		{"empty file", func(t *testing.T) []byte { return nil }, "end-of-stream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "state.json"), state, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "data-00000-of-00001.arrow"), tt.shard(t), 0o644); err != nil {
				t.Fatal(err)
			}
			d, err := arrowcheck.TryRead(t, dir)
			if err == nil {
				t.Fatalf("node read it: %d rows", len(d.Rows))
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

// ipcFileBytes writes table in the Arrow IPC *file* format, the one
// load_from_disk cannot open, and checks that arrow-go reads it back as such.
func ipcFileBytes(t *testing.T, table Table) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "file.arrow")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	enc := newBatchEncoder(table)
	w, err := ipc.NewFileWriter(f, ipc.WithSchema(enc.schema))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := enc.record(0, table.NumRows())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	rec.Release()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "ARROW1") {
		t.Fatal("ipc.NewFileWriter wrote no ARROW1 magic")
	}
	r, err := ipc.NewMappedFileReader(b)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rb, err := r.RecordBatch(0)
	if err != nil {
		t.Fatal(err)
	}
	if got := rb.Column(0).(*array.String).Value(0); got != table.Columns[0].Strings[0] {
		t.Fatalf("file format check: first value %q", got)
	}
	return b
}
