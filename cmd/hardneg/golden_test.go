package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/hardneg/hardneg/format"
	"github.com/hardneg/hardneg/mine"
)

var update = flag.Bool("update", false, "rewrite the golden outputs in testdata/golden")

// goldenData is a small synonym data set written once by
// 'hardneg synth --terms 600 --dim 48 --anchors 150' and committed, so the
// golden outputs pin mining alone, not the generator.
const goldenData = "testdata/golden/synonym-data"

// goldenCases are the synonym-job settings whose outputs are pinned byte
// for byte. They were recorded before the core was rebuilt around queries
// and a corpus; the rebuild must reproduce them.
var goldenCases = []struct {
	name string
	args []string
	// jsonlOnly limits the pin to the JSONL files: the format's other
	// outputs were meant to change in the rebuild (FlagEmbedding's
	// HuggingFace dataset still held triplets).
	jsonlOnly bool
	// renamed maps the names the outputs have now to the names they were
	// recorded under: the rebuild named each format's files after it, and
	// kept their bytes.
	renamed map[string]string
}{
	{name: "default"},
	{name: "guards-ntuple-component", args: []string{
		"--format", "ntuple", "--split-by", "component",
		"--exclude", "hops:2", "--exclude-normalized", "--exclude-contains", "2", "--exclude-edit-distance", "1",
		"--max-negative-reuse", "3", "--parquet",
	}, renamed: map[string]string{"ntuple_dataset/": "triplet_dataset/", "train_ntuples.jsonl": "train_triplets.jsonl", "val_ntuples.jsonl": "val_triplets.jsonl"}},
	{name: "notebook-bands-f16", args: []string{
		"--quota", "notebook", "--store", "f16", "--split-by", "anchor", "--seed", "7", "-n", "4",
		"--band", "far:0.2:0.45:0.3", "--band", "near:0.45:0.7:0.4", "--band", "twin:0.7:0.95:0.3",
	}},
	{name: "flagembedding", jsonlOnly: true, args: []string{"--format", "flagembedding", "--exclude", "hops:2"},
		renamed: map[string]string{"train_flagembedding.jsonl": "train_triplets.jsonl", "val_flagembedding.jsonl": "val_triplets.jsonl"}},
}

// TestGoldenSynonymJob mines the committed data set with each golden
// setting and compares every output file with the recording: the JSONL and
// the stats file in full, everything else (Arrow, Parquet, dataset JSON) by
// SHA-256. The stats file's timings, input paths and tool version are
// blanked first; they are the only parts that may differ between runs.
// Refresh with 'go test ./cmd/hardneg -run TestGoldenSynonymJob -update'.
func TestGoldenSynonymJob(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			out := t.TempDir()
			args := append([]string{"mine", "--data-dir", goldenData, "--out", out, "-q"}, c.args...)
			runCLI(t, args...)
			got := goldenTree(t, out, c.renamed)
			if c.jsonlOnly {
				for name := range got {
					if !strings.HasSuffix(name, ".jsonl") {
						delete(got, name)
					}
				}
			}
			dir := filepath.Join("testdata", "golden", c.name)
			if *update {
				writeGolden(t, dir, got)
				return
			}
			want := readGolden(t, dir)
			for _, name := range slices.Sorted(maps.Keys(want)) {
				if got[name] == nil {
					t.Errorf("%s: missing from the outputs", name)
					continue
				}
				if !bytes.Equal(got[name], want[name]) {
					t.Errorf("%s differs from %s:\n%s", name, dir, firstDiff(want[name], got[name]))
				}
			}
			for name := range got {
				if want[name] == nil {
					t.Errorf("%s: an output the recording does not have", name)
				}
			}
		})
	}
}

// goldenTree returns what the golden files hold for the output folder out:
// the text outputs in full under their names, and "manifest.txt" with the
// SHA-256 and size of every file.
func goldenTree(t *testing.T, out string, renamed map[string]string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for name, b := range treeBytes(t, out) {
		for now, was := range renamed {
			if strings.HasPrefix(filepath.ToSlash(name), now) {
				name = filepath.FromSlash(was + strings.TrimPrefix(filepath.ToSlash(name), now))
			}
		}
		files[name] = b
	}
	var manifest bytes.Buffer
	got := map[string][]byte{}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		b := files[name]
		if name == mine.StatsFile {
			b = normaliseStats(t, b, out)
		}
		if strings.HasSuffix(name, ".jsonl") || name == mine.StatsFile {
			got[name] = b
		}
		if strings.HasSuffix(name, ".parquet") {
			// Parquet's compressed pages depend on the build (the snappy
			// coder's assembly or pure Go give different, equally valid
			// bytes), so the content is pinned, not the bytes.
			b = parquetContent(t, filepath.Join(out, name))
			name += " (content)"
		}
		sum := sha256.Sum256(b)
		fmt.Fprintf(&manifest, "%s %d %s\n", hex.EncodeToString(sum[:]), len(b), filepath.ToSlash(name))
	}
	got["manifest.txt"] = manifest.Bytes()
	return got
}

// normaliseStats blanks what depends on where and with which build a run
// happened: the input paths and the tool version (timings are blanked by
// treeBytes).
func normaliseStats(t *testing.T, b []byte, out string) []byte {
	t.Helper()
	abs, err := filepath.Abs(goldenData)
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.ReplaceAll(b, []byte(abs), []byte("$DATA"))
	b = bytes.ReplaceAll(b, []byte(goldenData), []byte("$DATA"))
	b = bytes.ReplaceAll(b, []byte(out), []byte("$OUT"))
	return toolVersion.ReplaceAll(b, []byte(`"tool": "$TOOL"`))
}

func writeGolden(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	for name, b := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func readGolden(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := treeBytes(t, dir)
	if len(files) == 0 {
		t.Fatalf("no golden files in %s; record them with -update", dir)
	}
	return files
}

// firstDiff shows the first line where got departs from want.
func firstDiff(want, got []byte) string {
	wl, gl := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := range max(len(wl), len(gl)) {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d\nwant: %.300s\n got: %.300s", i+1, w, g)
		}
	}
	return "(same lines, different bytes)"
}

// toolVersion matches the stats file's tool version, which carries the
// build's VCS revision.
var toolVersion = regexp.MustCompile(`"tool": "[^"]*"`)

// triplets is the triplet format's spec: its file names.
var triplets = format.Lookup(format.Triplet)

// parquetContent renders a Parquet file's layout and content as text: the
// Arrow schema with its metadata, the rows of each row group, and every
// column's values as arrow-go reads them.
func parquetContent(t *testing.T, path string) []byte {
	t.Helper()
	r, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var b bytes.Buffer
	for g := range r.NumRowGroups() {
		fmt.Fprintf(&b, "row group %d: %d rows\n", g, r.MetaData().RowGroup(g).NumRows())
	}
	fr, err := pqarrow.NewFileReader(r, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	fmt.Fprintf(&b, "%s\n", tbl.Schema())
	for j := range int(tbl.NumCols()) {
		for _, chunk := range tbl.Column(j).Data().Chunks() {
			fmt.Fprintf(&b, "%s: %s\n", tbl.Schema().Field(j).Name, chunk)
		}
	}
	return b.Bytes()
}
