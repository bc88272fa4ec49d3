package arrowcheck

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestDecodeParquet(t *testing.T) {
	const out = `{"schema": [{"name":"s","type":"BYTE_ARRAY","repetition":"OPTIONAL","converted":"UTF8","logical":"STRING"},{"name":"f","type":"DOUBLE","repetition":"OPTIONAL"},{"name":"i","type":"INT64","repetition":"REQUIRED"}],
"metadata": {"huggingface":"{\"info\": {}}","ARROW:schema":"/////w=="},
"created_by": "parquet-go version 18.8.0",
"row_groups": [2, 1],
"codecs": ["SNAPPY"],
"rows": [{"s": "니콜", "f": 0.30000000000000004, "i": -9223372036854775808},
{"s": "", "f": -0, "i": 9007199254740993},
{"s": null, "f": "NaN", "i": 0}]}
`
	d, err := decodeParquet(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	wantSchema := []ParquetColumn{
		{Name: "s", Type: "BYTE_ARRAY", Repetition: "OPTIONAL", Converted: "UTF8", Logical: "STRING"},
		{Name: "f", Type: "DOUBLE", Repetition: "OPTIONAL"},
		{Name: "i", Type: "INT64", Repetition: "REQUIRED"},
	}
	if !slices.Equal(d.Schema, wantSchema) {
		t.Errorf("schema %+v, want %+v", d.Schema, wantSchema)
	}
	if d.Metadata["huggingface"] != `{"info": {}}` || d.Metadata["ARROW:schema"] != "/////w==" || len(d.Metadata) != 2 {
		t.Errorf("metadata %q", d.Metadata)
	}
	if d.CreatedBy != "parquet-go version 18.8.0" || !slices.Equal(d.Codecs, []string{"SNAPPY"}) || !slices.Equal(d.RowGroups, []int{2, 1}) {
		t.Errorf("created_by %q, codecs %q, row groups %v", d.CreatedBy, d.Codecs, d.RowGroups)
	}
	if len(d.Rows) != 3 {
		t.Fatalf("%d rows", len(d.Rows))
	}
	tenth, fifth := 0.1, 0.2 // variables: constant arithmetic would be exact
	if f, _ := d.Rows[0]["f"].(json.Number).Float64(); f != tenth+fifth {
		t.Errorf("0.1+0.2 decoded as %v", f)
	}
	if f, _ := d.Rows[1]["f"].(json.Number).Float64(); math.Float64bits(f) != math.Float64bits(math.Copysign(0, -1)) {
		t.Errorf("-0 decoded as %v", f)
	}
	if i, err := d.Rows[0]["i"].(json.Number).Int64(); err != nil || i != math.MinInt64 {
		t.Errorf("min int64 decoded as %v, %v", i, err)
	}
	if i, err := d.Rows[1]["i"].(json.Number).Int64(); err != nil || i != 1<<53+1 {
		t.Errorf("2^53+1 decoded as %v, %v", i, err)
	}
	if d.Rows[2]["s"] != nil || d.Rows[2]["f"] != "NaN" || d.Rows[0]["s"] != "니콜" {
		t.Errorf("row values %v", d.Rows)
	}
}

func TestDecodeParquetLists(t *testing.T) {
	const out = `{"schema": [{"name":"pos","depth":0,"repetition":"OPTIONAL","converted":"LIST","logical":"LIST","children":1},{"name":"list","depth":1,"repetition":"REPEATED","children":1},{"name":"element","depth":2,"type":"DOUBLE","repetition":"OPTIONAL"}],
"metadata": {},
"created_by": "parquet-cpp-arrow version 26.0.1",
"row_groups": [2],
"codecs": ["UNCOMPRESSED"],
"rows": [{"pos": [0.5, -0]}, {"pos": []}]}
`
	d, err := decodeParquet(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	want := []ParquetColumn{
		{Name: "pos", Repetition: "OPTIONAL", Converted: "LIST", Logical: "LIST", Children: 1},
		{Name: "list", Depth: 1, Repetition: "REPEATED", Children: 1},
		{Name: "element", Depth: 2, Type: "DOUBLE", Repetition: "OPTIONAL"},
	}
	if !slices.Equal(d.Schema, want) {
		t.Errorf("schema %+v, want %+v", d.Schema, want)
	}
	if v, ok := d.Rows[0]["pos"].([]any); !ok || len(v) != 2 || v[1] != json.Number("-0") {
		t.Errorf("row 0 %#v", d.Rows[0])
	}
	if v, ok := d.Rows[1]["pos"].([]any); !ok || len(v) != 0 {
		t.Errorf("row 1 %#v", d.Rows[1])
	}
}

func TestDecodeParquetRejects(t *testing.T) {
	tests := []struct{ name, out string }{
		{"empty", ""},
		{"not JSON", "arrowcheck: oops"},
		{"Arrow dump", `{"schema": {"fields": [], "metadata": {}}, "batches": [], "rows": []}`},
		{"unknown key", `{"schema": [], "metadata": {}, "created_by": "", "row_groups": [], "codecs": [], "rows": [], "extra": 1}`},
		{"no rows", `{"schema": [], "metadata": {}, "created_by": "", "row_groups": [], "codecs": []}`},
		{"trailing data", `{"schema": [], "metadata": {}, "created_by": "", "row_groups": [], "codecs": [], "rows": []} {}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := decodeParquet(strings.NewReader(tt.out)); err == nil {
				t.Error("decoded without error")
			}
		})
	}
}

func TestParquetScriptPresent(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "tools", "arrowcheck", "dump-parquet.mjs")); err != nil {
		t.Error(err)
	}
}

func TestLocateParquetSaysHowToInstall(t *testing.T) {
	_, _, err := locateTool(t.TempDir(), "hyparquet", "dump-parquet.mjs")
	if err == nil || !strings.Contains(err.Error(), "npm ci --prefix tools/arrowcheck") || !strings.Contains(err.Error(), "hyparquet") {
		t.Errorf("locateTool in an empty folder: %v, want an install hint naming hyparquet", err)
	}
}

// TestReadParquetReference reads the datasets 5.0.1 reference file beside
// the repository, when it is there, through the whole path: node, the
// script and the decoder.
func TestReadParquetReference(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, "..", "shared", "reference", "datasets-5.0.1", "parquet", "train-00000-of-00001.parquet")
	if _, err := os.Stat(path); err != nil {
		if os.Getenv(EnvRequired) == "required" {
			t.Fatalf("reference file not found: %v (%s=required)", err, EnvRequired)
		}
		t.Skipf("reference file not found: %v (it lives in shared/ beside the repository)", err)
	}
	d := ReadParquet(t, path)
	if len(d.Rows) != 3 || d.Rows[0]["anchor"] != "니콜라이" || d.Rows[2]["negative_similarity"] != json.Number("0.505") {
		t.Errorf("rows %v", d.Rows)
	}
	if len(d.Schema) != 5 || d.Schema[3] != (ParquetColumn{Name: "negative_similarity", Type: "DOUBLE", Repetition: "OPTIONAL"}) {
		t.Errorf("schema %+v", d.Schema)
	}
	if _, err := TryReadParquet(t, filepath.Join(root, "go.mod")); err == nil || !strings.Contains(err.Error(), "PAR1") {
		t.Errorf("reading go.mod: %v, want a refusal that mentions PAR1", err)
	}
}
