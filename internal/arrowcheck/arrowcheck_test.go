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

func TestDecode(t *testing.T) {
	const out = `{"schema": {"fields":[{"name":"s","type":"Utf8","nullable":true},{"name":"f","type":"Float64","nullable":true},{"name":"i","type":"Int64","nullable":false}],"metadata":{"huggingface":"{\"info\": {}}"}},
"batches": [2, 1],
"rows": [{"s": "니콜", "f": 0.30000000000000004, "i": -9223372036854775808},
{"s": "", "f": -0, "i": 9007199254740993},
{"s": null, "f": "NaN", "i": 0}]}
`
	d, err := decode(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	wantFields := []Field{{Name: "s", Type: "Utf8", Nullable: true}, {Name: "f", Type: "Float64", Nullable: true}, {Name: "i", Type: "Int64"}}
	if !slices.Equal(d.Fields, wantFields) {
		t.Errorf("fields %+v, want %+v", d.Fields, wantFields)
	}
	if d.Metadata["huggingface"] != `{"info": {}}` || len(d.Metadata) != 1 {
		t.Errorf("metadata %q", d.Metadata)
	}
	if !slices.Equal(d.Batches, []int{2, 1}) {
		t.Errorf("batches %v", d.Batches)
	}
	if len(d.Rows) != 3 {
		t.Fatalf("%d rows", len(d.Rows))
	}

	// Numbers stay exact: float64 bits and all 64 bits of an int64.
	tenth, fifth := 0.1, 0.2 // variables: constant arithmetic would be exact
	f0, _ := d.Rows[0]["f"].(json.Number).Float64()
	if f0 != tenth+fifth {
		t.Errorf("0.1+0.2 decoded as %v", f0)
	}
	f1, _ := d.Rows[1]["f"].(json.Number).Float64()
	if math.Float64bits(f1) != math.Float64bits(math.Copysign(0, -1)) {
		t.Errorf("-0 decoded as %v", f1)
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

func TestDecodeLists(t *testing.T) {
	const out = `{"schema": {"fields":[{"name":"pos","type":"List<Utf8>","nullable":true,"item":{"name":"item","type":"Utf8","nullable":true}},{"name":"labels","type":"List<Int64>","nullable":true,"item":{"name":"item","type":"Int64","nullable":true}}],"metadata":{}},
"batches": [2],
"rows": [{"pos": ["니콜", ""], "labels": [9007199254740993, -0]},
{"pos": [], "labels": null}]}
`
	d, err := decode(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	want := []Field{
		{Name: "pos", Type: "List<Utf8>", Nullable: true, Item: Item{"item", "Utf8", true}},
		{Name: "labels", Type: "List<Int64>", Nullable: true, Item: Item{"item", "Int64", true}},
	}
	if !slices.Equal(d.Fields, want) {
		t.Errorf("fields %+v, want %+v", d.Fields, want)
	}
	pos, ok := d.Rows[0]["pos"].([]any)
	if !ok || len(pos) != 2 || pos[0] != "니콜" || pos[1] != "" {
		t.Errorf("row 0 pos %#v", d.Rows[0]["pos"])
	}
	labels, ok := d.Rows[0]["labels"].([]any)
	if !ok || len(labels) != 2 || labels[0] != json.Number("9007199254740993") || labels[1] != json.Number("-0") {
		t.Errorf("row 0 labels %#v", d.Rows[0]["labels"])
	}
	if empty, ok := d.Rows[1]["pos"].([]any); !ok || len(empty) != 0 || d.Rows[1]["labels"] != nil {
		t.Errorf("row 1 %#v", d.Rows[1])
	}
}

func TestDecodeRejects(t *testing.T) {
	tests := []struct{ name, out string }{
		{"empty", ""},
		{"not JSON", "arrowcheck: oops"},
		{"unknown key", `{"schema": {"fields": [], "metadata": {}}, "batches": [], "rows": [], "extra": 1}`},
		{"trailing data", `{"schema": {"fields": [], "metadata": {}}, "batches": [], "rows": []} {}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := decode(strings.NewReader(tt.out)); err == nil {
				t.Error("decoded without error")
			}
		})
	}
}

func TestRepoRoot(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(filepath.Join(root, "tools", "arrowcheck", "dump.mjs")); err != nil {
		t.Error(err)
	}
}

func TestLocateSaysHowToInstall(t *testing.T) {
	if _, _, err := locate(t.TempDir()); err == nil || !strings.Contains(err.Error(), "npm ci --prefix tools/arrowcheck") {
		t.Errorf("locate in an empty folder: %v, want an install hint", err)
	}
}
