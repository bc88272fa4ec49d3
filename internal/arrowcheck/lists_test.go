package arrowcheck

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// listsFixtures is hfds' reference for list columns, written by datasets
// 5.0.1 and committed with that package.
func listsFixtures(t *testing.T) string {
	t.Helper()
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, "hfds", "testdata", "datasets-5.0.1-lists")
}

// TestReadListsReference reads what datasets writes for list columns with
// both node readers, through node, the scripts and the decoders.
func TestReadListsReference(t *testing.T) {
	dir := listsFixtures(t)
	d := Read(t, filepath.Join(dir, "lists_dataset", "train"))
	wantFields := []Field{
		{Name: "query", Type: "Utf8", Nullable: true},
		{Name: "pos", Type: "List<Utf8>", Nullable: true, Item: Item{"item", "Utf8", true}},
		{Name: "neg", Type: "List<Utf8>", Nullable: true, Item: Item{"item", "Utf8", true}},
		{Name: "pos_scores", Type: "List<Float64>", Nullable: true, Item: Item{"item", "Float64", true}},
		{Name: "neg_scores", Type: "List<Float64>", Nullable: true, Item: Item{"item", "Float64", true}},
		{Name: "labels", Type: "List<Int64>", Nullable: true, Item: Item{"item", "Int64", true}},
		{Name: "label", Type: "Int64", Nullable: true},
	}
	if !slices.Equal(d.Fields, wantFields) {
		t.Errorf("fields %+v, want %+v", d.Fields, wantFields)
	}
	p := ReadParquet(t, filepath.Join(dir, "parquet", "train-00000-of-00001.parquet"), filepath.Join(dir, "parquet", "validation-00000-of-00001.parquet"))
	if len(p.Schema) != 17 || p.Schema[1] != (ParquetColumn{Name: "pos", Repetition: "OPTIONAL", Converted: "LIST", Logical: "LIST", Children: 1}) ||
		p.Schema[2] != (ParquetColumn{Name: "list", Depth: 1, Repetition: "REPEATED", Children: 1}) ||
		p.Schema[3] != (ParquetColumn{Name: "element", Depth: 2, Type: "BYTE_ARRAY", Repetition: "OPTIONAL", Converted: "UTF8", Logical: "STRING"}) {
		t.Errorf("Parquet schema %+v", p.Schema)
	}
	if len(d.Rows) != 3 || len(p.Rows) != 5 {
		t.Fatalf("%d and %d rows, want 3 and 5", len(d.Rows), len(p.Rows))
	}
	// Both readers see row 2 of train alike: lists of strings, floats (with
	// -0 and the smallest subnormal) and int64 limits, and empty lists in row 1.
	want := `{"labels":[1,9007199254740993,-9223372036854775808,9223372036854775807],"label":-1,"neg":["諡號","줄\n바꿈 \\ 😀"],"neg_scores":[0.30000000000000004,5e-324],"pos":["李穡",""],"pos_scores":[0.611,-0],"query":"李滉 😀 \"q\""}`
	empty := `{"labels":[],"label":0,"neg":[],"neg_scores":[],"pos":["야당정치인","野黨"],"pos_scores":[0.875,0.75],"query":"야당"}`
	for name, rows := range map[string][]map[string]any{"apache-arrow": d.Rows, "hyparquet": p.Rows} {
		for i, w := range map[int]string{1: empty, 2: want} {
			if got, w := canonicalJSON(t, rows[i]), canonicalJSON(t, json.RawMessage(w)); got != w {
				t.Errorf("%s row %d:\n%s\nwant\n%s", name, i, got, w)
			}
		}
	}
}

// canonicalJSON marshals v with sorted keys and numbers as their digits.
func canonicalJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		t.Fatal(err)
	}
	if b, err = json.Marshal(x); err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestRefusesDeeperNesting checks that both readers refuse what they do not
// describe: a list of lists and a struct column.
func TestRefusesDeeperNesting(t *testing.T) {
	listOfLists := arrow.ListOf(arrow.ListOf(arrow.PrimitiveTypes.Int64))
	structType := arrow.StructOf(arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int64, Nullable: true})
	for _, typ := range []arrow.DataType{listOfLists, structType} {
		t.Run(typ.String(), func(t *testing.T) {
			schema := arrow.NewSchema([]arrow.Field{{Name: "x", Type: typ, Nullable: true}}, nil)
			b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
			defer b.Release()
			b.Field(0).AppendNull()
			rec := b.NewRecordBatch()
			defer rec.Release()

			dir := t.TempDir()
			var stream bytes.Buffer
			w := ipc.NewWriter(&stream, ipc.WithSchema(schema))
			if err := w.Write(rec); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			state := `{"_data_files": [{"filename": "data-00000-of-00001.arrow"}]}`
			if err := os.WriteFile(filepath.Join(dir, "state.json"), []byte(state), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "data-00000-of-00001.arrow"), stream.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := TryRead(t, dir); err == nil || !strings.Contains(err.Error(), "only lists of primitive values") {
				t.Errorf("apache-arrow reader: %v, want a refusal", err)
			}

			var pq bytes.Buffer
			if err := pqarrow.WriteTable(array.NewTableFromRecords(schema, []arrow.RecordBatch{rec}), &pq, 10, parquet.NewWriterProperties(), pqarrow.DefaultWriterProps()); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "x.parquet")
			if err := os.WriteFile(path, pq.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := TryReadParquet(t, path); err == nil || !strings.Contains(err.Error(), "nested other than as a LIST of primitive values") {
				t.Errorf("hyparquet reader: %v, want a refusal", err)
			}
		})
	}
}
