package hfds

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var fingerprintRE = regexp.MustCompile(`"_fingerprint": "([^"]*)"`)

// maskFingerprint replaces state.json's _fingerprint, which `datasets` draws
// at random, and returns the value it replaced.
func maskFingerprint(b []byte) ([]byte, string) {
	m := fingerprintRE.FindSubmatch(b)
	if m == nil {
		return b, ""
	}
	return fingerprintRE.ReplaceAll(b, []byte(`"_fingerprint": "?"`)), string(m[1])
}

var hex16RE = regexp.MustCompile(`^[0-9a-f]{16}$`)

// TestSaveMatchesReference writes the reference's five rows and compares the
// result with what `datasets` 5.0.1 and pyarrow wrote for them.
func TestSaveMatchesReference(t *testing.T) {
	checkSaveMatches(t, sharedReference(t), referenceSplits())
}

// TestSaveListsMatchReference does the same for the list fixtures: string,
// float64 and int64 lists, empty lists among them.
func TestSaveListsMatchReference(t *testing.T) {
	checkSaveMatches(t, filepath.Join(listsReference, "lists_dataset"), listsSplits())
}

// checkSaveMatches saves splits and compares the result with ref, the
// save_to_disk folder `datasets` wrote for the same rows: the JSON files
// byte for byte (but _fingerprint), the files, the schema with its
// metadata, the rows and the record batches.
func checkSaveMatches(t *testing.T, ref string, splits []Split) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "dataset")
	if err := Save(dir, splits, Options{}); err != nil {
		t.Fatal(err)
	}

	compareFile(t, filepath.Join(dir, "dataset_dict.json"), filepath.Join(ref, "dataset_dict.json"), false)
	for _, s := range splits {
		t.Run(s.Name, func(t *testing.T) {
			ours, theirs := filepath.Join(dir, s.Name), filepath.Join(ref, s.Name)
			compareFile(t, filepath.Join(ours, "dataset_info.json"), filepath.Join(theirs, "dataset_info.json"), false)
			compareFile(t, filepath.Join(ours, "state.json"), filepath.Join(theirs, "state.json"), true)

			entries, err := os.ReadDir(ours)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			if got, want := strings.Join(names, " "), "data-00000-of-00001.arrow dataset_info.json state.json"; got != want {
				t.Errorf("files %q, want %q", got, want)
			}

			name := "data-00000-of-00001.arrow"
			got := readArrowGo(t, filepath.Join(ours, name))
			want := readArrowGo(t, filepath.Join(theirs, name))
			if g, w := fieldsString(got.schema), fieldsString(want.schema); g != w {
				t.Errorf("schema:\n%s\nwant (reference):\n%s", g, w)
			}
			gmd, wmd := got.schema.Metadata(), want.schema.Metadata()
			gv, gok := gmd.GetValue("huggingface")
			wv, wok := wmd.GetValue("huggingface")
			if !gok || !wok || gv != wv || gmd.Len() != wmd.Len() {
				t.Errorf("huggingface metadata:\n%q\nwant (reference):\n%q", gv, wv)
			}
			if err := sameRows(got.rows, want.rows); err != nil {
				t.Errorf("rows differ from the reference's: %v", err)
			}
			if err := sameRows(got.rows, tableRows(s.Table)); err != nil {
				t.Errorf("rows differ from the input: %v", err)
			}
			if fmt.Sprint(got.batches) != fmt.Sprint(want.batches) {
				t.Errorf("batches %v, reference %v", got.batches, want.batches)
			}
		})
	}
}

// compareFile compares two JSON files byte for byte, apart from
// _fingerprint when maskFP is set, in which case ours must be 16 hex digits.
func compareFile(t *testing.T, ours, reference string, maskFP bool) {
	t.Helper()
	got, err := os.ReadFile(ours)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(reference)
	if err != nil {
		t.Fatal(err)
	}
	if maskFP {
		var fp string
		got, fp = maskFingerprint(got)
		if !hex16RE.MatchString(fp) {
			t.Errorf("%s: _fingerprint %q, want 16 lowercase hex digits", ours, fp)
		}
		want, _ = maskFingerprint(want)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the reference:\n%q\nwant:\n%q", ours, got, want)
	}
}

// TestGolden keeps a text dump of the reference rows' output, fingerprints
// included, so that any change in the bytes we write shows up in review.
// Refresh it with go test ./hfds -run TestGolden -update.
func TestGolden(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "triplet_dataset")
	splits := referenceSplits()
	splits = append(splits, Split{Name: "ints", Table: Table{Columns: []Column{
		{Name: "id", Type: Int64, Int64s: []int64{-1 << 63, 0, 1<<63 - 1}},
		{Name: "é \"q\" 😀", Type: String, Strings: []string{"", "a\x00b", "😀"}},
	}}}, Split{Name: "lists", Table: listsTable(listsRows["train"])})
	if err := Save(dir, splits, Options{BatchRows: 2}); err != nil {
		t.Fatal(err)
	}
	got := dumpDir(t, dir)
	golden := filepath.Join("testdata", "reference_triplets.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run with -update if the change is intended):\n%s", golden, got)
	}
}

// dumpDir renders a save_to_disk folder as text: the JSON files as written,
// and each shard decoded by arrow-go.
func dumpDir(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	dict, err := os.ReadFile(filepath.Join(dir, "dataset_dict.json"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "== dataset_dict.json\n%s\n", dict)
	var splits struct{ Splits []string }
	if err := json.Unmarshal(dict, &splits); err != nil {
		t.Fatal(err)
	}
	for _, s := range splits.Splits {
		splitDir := filepath.Join(dir, s)
		for _, name := range []string{"dataset_info.json", "state.json"} {
			c, err := os.ReadFile(filepath.Join(splitDir, name))
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "== %s/%s\n%s\n", s, name, c)
		}
		for _, f := range dataFiles(t, splitDir) {
			d := readArrowGo(t, filepath.Join(splitDir, f))
			fmt.Fprintf(&b, "== %s/%s\n%sbatches %v\n", s, f, fieldsString(d.schema), d.batches)
			writeRows(&b, d.rows)
		}
	}
	return b.String()
}

// writeRows writes rows as text, one line each: floats with their shortest
// round-trip digits, strings and list items quoted, lists in brackets.
func writeRows(b *strings.Builder, rows [][]any) {
	for _, row := range rows {
		for j, v := range row {
			if j > 0 {
				b.WriteString(" | ")
			}
			writeValue(b, v)
		}
		b.WriteString("\n")
	}
}

func writeValue(b *strings.Builder, v any) {
	list := func(n int, item func(int) any) {
		b.WriteByte('[')
		for i := range n {
			if i > 0 {
				b.WriteString(", ")
			}
			writeValue(b, item(i))
		}
		b.WriteByte(']')
	}
	switch v := v.(type) {
	case float64:
		b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
	case string:
		b.WriteString(strconv.Quote(v))
	case []string:
		list(len(v), func(i int) any { return v[i] })
	case []float64:
		list(len(v), func(i int) any { return v[i] })
	case []int64:
		list(len(v), func(i int) any { return v[i] })
	default:
		fmt.Fprint(b, v)
	}
}
