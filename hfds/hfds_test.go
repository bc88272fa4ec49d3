package hfds

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// mixedTable has one column of each type and rows numbered from 0, so that
// contiguity and order are easy to check.
func mixedTable(rows int) Table {
	t := Table{Columns: []Column{
		{Name: "text", Type: String, Strings: make([]string, rows)},
		{Name: "id", Type: Int64, Int64s: make([]int64, rows)},
		{Name: "score", Type: Float64, Float64s: make([]float64, rows)},
	}}
	for i := range rows {
		t.Columns[0].Strings[i] = fmt.Sprintf("행-%06d", i) // 10 bytes
		t.Columns[1].Int64s[i] = int64(i) - 1<<40
		t.Columns[2].Float64s[i] = float64(i) / 3
	}
	return t
}

func saveOne(t *testing.T, table Table, opt Options) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "ds")
	if err := Save(dir, []Split{{Name: "train", Table: table}}, opt); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "train")
}

func shardNames(n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("data-%05d-of-%05d.arrow", i, n)
	}
	return names
}

func TestSaveShards(t *testing.T) {
	// mixedTable(10): text 4*10 + 10*10 = 140 bytes, id 80, score 80: 300,
	// as pyarrow counts it (see TestNbytesMatchesPyarrow).
	if got := mixedTable(10).nbytes(); got != 300 {
		t.Fatalf("nbytes = %d, want 300", got)
	}
	tests := []struct {
		name        string
		rows        int
		opt         Options
		wantBatches []int // over all shards, in order
		wantShards  []int // rows per shard
	}{
		{"one shard by default", 10, Options{}, []int{10}, []int{10}},
		{"300/100+1 = 4 shards", 10, Options{MaxShardBytes: 100}, []int{3, 3, 2, 2}, []int{3, 3, 2, 2}},
		{"4 shards of 2-row batches", 10, Options{MaxShardBytes: 100, BatchRows: 2}, []int{2, 1, 2, 1, 2, 2}, []int{3, 3, 2, 2}},
		{"capped at the row count", 10, Options{MaxShardBytes: 1}, []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}},
		{"just under the limit", 10, Options{MaxShardBytes: 301}, []int{10}, []int{10}},
		{"at the limit", 10, Options{MaxShardBytes: 300}, []int{5, 5}, []int{5, 5}},
		{"default batch of 1000", 2500, Options{}, []int{1000, 1000, 500}, []int{2500}},
		{"batches restart in each shard", 2500, Options{MaxShardBytes: 40_000}, []int{1000, 250, 1000, 250}, []int{1250, 1250}},
		{"batch of 7", 20, Options{BatchRows: 7}, []int{7, 7, 6}, []int{20}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			table := mixedTable(tt.rows)
			splitDir := saveOne(t, table, tt.opt)
			files := dataFiles(t, splitDir)
			if want := shardNames(len(tt.wantShards)); !slices.Equal(files, want) {
				t.Fatalf("state.json lists %q, want %q", files, want)
			}
			entries, err := os.ReadDir(splitDir)
			if err != nil {
				t.Fatal(err)
			}
			var onDisk []string
			for _, e := range entries {
				onDisk = append(onDisk, e.Name())
			}
			if want := append(slices.Clone(files), "dataset_info.json", "state.json"); !slices.Equal(onDisk, want) {
				t.Errorf("files %q, want %q", onDisk, want)
			}

			var batches []int
			var rows [][]any
			first := ""
			for i, f := range files {
				d := readArrowGo(t, filepath.Join(splitDir, f))
				if s := fieldsString(d.schema); i == 0 {
					first = s
				} else if s != first {
					t.Errorf("%s: schema\n%s\ndiffers from the first shard's\n%s", f, s, first)
				}
				if len(d.rows) != tt.wantShards[i] {
					t.Errorf("%s: %d rows, want %d", f, len(d.rows), tt.wantShards[i])
				}
				batches = append(batches, d.batches...)
				rows = append(rows, d.rows...)
			}
			if !slices.Equal(batches, tt.wantBatches) {
				t.Errorf("batches %v, want %v", batches, tt.wantBatches)
			}
			if err := sameRows(rows, tableRows(table)); err != nil {
				t.Errorf("rows, in shard order: %v", err)
			}
		})
	}
}

// TestNbytesMatchesPyarrow checks nbytes against Dataset._estimate_nbytes()
// as datasets 5.0.1 and pyarrow 26.0.1 print it for the same tables: the
// reference splits as load_from_disk reads them, mixedTable(10) built with
// Dataset.from_dict, and slices of the list fixtures (Table.slice(offset,
// length).nbytes). An error here moves shard boundaries.
func TestNbytesMatchesPyarrow(t *testing.T) {
	tests := []struct {
		name  string
		table Table
		want  int64
	}{
		{"reference train", tripletTable(referenceRows["train"]), 196},
		{"reference validation", tripletTable(referenceRows["validation"]), 97},
		{"mixedTable(10)", mixedTable(10), 300},
		{"no rows", tripletTable(nil), 0},
		// The list fixtures, whole and sliced (Table.slice, pyarrow's
		// Table.slice): a slice counts the values its rows hold.
		{"lists train", listsTable(listsRows["train"]), 380},
		{"lists validation", listsTable(listsRows["validation"]), 231},
		{"lists train rows 1 to 3", listsTable(listsRows["train"]).slice(1, 3), 239},
		{"lists train row 2", listsTable(listsRows["train"]).slice(2, 3), 156},
		{"lists train row 0", listsTable(listsRows["train"]).slice(0, 1), 141},
		{"lists train no rows", listsTable(listsRows["train"]).slice(1, 1), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.table.nbytes(); got != tt.want {
				t.Errorf("nbytes = %d, pyarrow says %d", got, tt.want)
			}
		})
	}
}

func TestShardBounds(t *testing.T) {
	tests := []struct {
		rows, n int
		want    []int // rows per shard
	}{
		{0, 1, []int{0}},
		{1, 1, []int{1}},
		{10, 3, []int{4, 3, 3}},
		{11, 3, []int{4, 4, 3}},
		{12, 3, []int{4, 4, 4}},
		{5, 5, []int{1, 1, 1, 1, 1}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d rows in %d", tt.rows, tt.n), func(t *testing.T) {
			var sizes []int
			next := 0
			for i := range tt.n {
				lo, hi := shardBounds(tt.rows, tt.n, i)
				if lo != next {
					t.Fatalf("shard %d starts at %d, want %d (contiguous)", i, lo, next)
				}
				sizes = append(sizes, hi-lo)
				next = hi
			}
			if next != tt.rows || !slices.Equal(sizes, tt.want) {
				t.Errorf("sizes %v ending at %d, want %v ending at %d", sizes, next, tt.want, tt.rows)
			}
		})
	}
}

func TestShardCount(t *testing.T) {
	tests := []struct {
		nbytes, max int64
		rows, want  int
	}{
		{0, 500_000_000, 0, 1},
		{4, 500_000_000, 0, 1},
		{499_999_999, 500_000_000, 1 << 20, 1},
		{500_000_000, 500_000_000, 1 << 20, 2},
		{1_700_000_000, 500_000_000, 1 << 20, 4},
		{1_700_000_000, 500_000_000, 3, 3},
		{100, 1, 0, 1},
	}
	for _, tt := range tests {
		if got := shardCount(tt.nbytes, tt.max, tt.rows); got != tt.want {
			t.Errorf("shardCount(%d, %d, %d) = %d, want %d", tt.nbytes, tt.max, tt.rows, got, tt.want)
		}
	}
}

// readTree returns every file under dir by its relative path.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files[rel] = b
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestSaveDeterministic(t *testing.T) {
	splits := []Split{
		{Name: "train", Table: mixedTable(3000)},
		{Name: "validation", Table: mixedTable(7)},
	}
	opt := Options{MaxShardBytes: 20_000, BatchRows: 333}
	var trees []map[string][]byte
	for range 2 {
		dir := filepath.Join(t.TempDir(), "ds")
		if err := Save(dir, splits, opt); err != nil {
			t.Fatal(err)
		}
		trees = append(trees, readTree(t, dir))
	}
	if len(trees[0]) < 6 {
		t.Fatalf("only %d files written", len(trees[0]))
	}
	for name, b := range trees[0] {
		if !bytes.Equal(b, trees[1][name]) {
			t.Errorf("%s differs between two saves of the same input", name)
		}
	}
	if len(trees[0]) != len(trees[1]) {
		t.Errorf("%d files, then %d", len(trees[0]), len(trees[1]))
	}

	// The fingerprint follows the content.
	_, fpTrain := maskFingerprint(trees[0][filepath.Join("train", "state.json")])
	_, fpVal := maskFingerprint(trees[0][filepath.Join("validation", "state.json")])
	if !hex16RE.MatchString(fpTrain) || fpTrain == fpVal {
		t.Errorf("fingerprints %q and %q: want 16 hex digits, different for different content", fpTrain, fpVal)
	}
}

func TestSaveEmptySplit(t *testing.T) {
	tables := map[string]Table{
		"nil slices":   {Columns: []Column{{Name: "a", Type: String}, {Name: "b", Type: Float64}, {Name: "c", Type: Int64}}},
		"empty slices": tripletTable(nil),
	}
	for name, table := range tables {
		t.Run(name, func(t *testing.T) {
			splitDir := saveOne(t, table, Options{})
			files := dataFiles(t, splitDir)
			if !slices.Equal(files, shardNames(1)) {
				t.Fatalf("state.json lists %q, want one shard", files)
			}
			d := readArrowGo(t, filepath.Join(splitDir, files[0]))
			if len(d.batches) != 0 || len(d.rows) != 0 {
				t.Errorf("batches %v, %d rows; want none", d.batches, len(d.rows))
			}
			if want := fieldsString(arrowSchema(table.Columns)); fieldsString(d.schema) != want {
				t.Errorf("schema\n%s\nwant\n%s", fieldsString(d.schema), want)
			}
		})
	}
}

func TestSaveIntoExistingEmptyDir(t *testing.T) {
	dir := t.TempDir()
	if err := Save(dir, referenceSplits(), Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "dataset_dict.json")); err != nil {
		t.Error(err)
	}
}

func TestSaveRefuses(t *testing.T) {
	good := func() Table { return tripletTable(referenceRows["train"]) }
	with := func(edit func(*Table)) Table {
		tb := good()
		for i := range tb.Columns {
			c := &tb.Columns[i]
			c.Strings, c.Float64s = slices.Clone(c.Strings), slices.Clone(c.Float64s)
		}
		edit(&tb)
		return tb
	}
	one := func(tb Table) []Split { return []Split{{Name: "train", Table: tb}} }

	tests := []struct {
		name    string
		splits  []Split
		opt     Options
		prepare func(t *testing.T, dir string) // makes dir non-empty, a file, ...
		want    error
	}{
		{name: "no splits", splits: nil, want: ErrNoSplits},
		{name: "empty split name", splits: []Split{{Name: "", Table: good()}}, want: ErrSplitName},
		{name: "split name with slash", splits: []Split{{Name: "a/b", Table: good()}}, want: ErrSplitName},
		{name: "split name ..", splits: []Split{{Name: "..", Table: good()}}, want: ErrSplitName},
		{name: "split name with space", splits: []Split{{Name: "my split", Table: good()}}, want: ErrSplitName},
		{name: "duplicate split", splits: []Split{{Name: "train", Table: good()}, {Name: "train", Table: good()}}, want: ErrDuplicateSplit},
		{name: "no columns", splits: one(Table{}), want: ErrNoColumns},
		{name: "empty column name", splits: one(with(func(tb *Table) { tb.Columns[1].Name = "" })), want: ErrColumnName},
		{name: "invalid UTF-8 column name", splits: one(with(func(tb *Table) { tb.Columns[1].Name = "a\xff" })), want: ErrColumnName},
		{name: "duplicate column", splits: one(with(func(tb *Table) { tb.Columns[2].Name = "anchor" })), want: ErrDuplicateColumn},
		{name: "short column", splits: one(with(func(tb *Table) { tb.Columns[2].Strings = tb.Columns[2].Strings[:2] })), want: ErrColumnLength},
		{name: "long float column", splits: one(with(func(tb *Table) { tb.Columns[3].Float64s = append(tb.Columns[3].Float64s, 1) })), want: ErrColumnLength},
		{name: "String column with Float64s", splits: one(with(func(tb *Table) { tb.Columns[0].Float64s = []float64{1, 2, 3} })), want: ErrColumnType},
		{name: "Float64 column with Strings", splits: one(with(func(tb *Table) { tb.Columns[3].Strings = []string{"a", "b", "c"} })), want: ErrColumnType},
		{name: "Float64 column with Int64s only", splits: one(with(func(tb *Table) {
			tb.Columns[3].Int64s, tb.Columns[3].Float64s = []int64{1, 2, 3}, nil
		})), want: ErrColumnType},
		{name: "Int64 column with Float64s", splits: one(with(func(tb *Table) { tb.Columns[3].Type = Int64 })), want: ErrColumnType},
		{name: "unknown type", splits: one(with(func(tb *Table) { tb.Columns[3].Type = Type(9) })), want: ErrColumnType},
		{name: "invalid UTF-8 value", splits: one(with(func(tb *Table) { tb.Columns[4].Strings[2] = "me\xc0dium" })), want: ErrInvalidUTF8},
		{name: "negative batch rows", splits: one(good()), opt: Options{BatchRows: -1}, want: ErrBadOptions},
		{name: "negative shard size", splits: one(good()), opt: Options{MaxShardBytes: -1}, want: ErrBadOptions},
		{name: "non-empty dir", splits: one(good()), want: ErrDirNotEmpty, prepare: func(t *testing.T, dir string) {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "old.txt"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "dir is a file", splits: one(good()), want: nil, prepare: func(t *testing.T, dir string) {
			if err := os.WriteFile(dir, nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "ds")
			if tt.prepare != nil {
				tt.prepare(t, dir)
			}
			before := readTreeIfDir(t, dir)
			err := Save(dir, tt.splits, tt.opt)
			if err == nil {
				t.Fatal("Save succeeded, want an error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error %q, want %q", err, tt.want)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "hfds: save "+dir+": ") {
				t.Errorf("error %q does not start with the operation and path", msg)
			}
			// A refused save leaves the file system as it found it.
			if after := readTreeIfDir(t, dir); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("dir changed: %v, was %v", after, before)
			}
		})
	}
}

// readTreeIfDir is readTree, or nil when dir is absent or not a folder.
func readTreeIfDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil
	}
	return readTree(t, dir)
}

func TestTypeString(t *testing.T) {
	for typ, want := range map[Type]string{String: "string", Float64: "float64", Int64: "int64", Type(7): "Type(7)"} {
		if got := typ.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(typ), got, want)
		}
	}
}

func TestNumRows(t *testing.T) {
	if n := (Table{}).NumRows(); n != 0 {
		t.Errorf("empty table: %d rows", n)
	}
	if n := mixedTable(12).NumRows(); n != 12 {
		t.Errorf("mixedTable(12): %d rows", n)
	}
}

// TestSavedNamesWhatSaveWrites checks Saved and SavedParquet against what
// Save and SaveParquet write, in several shards, and against names they do
// not write: a writer that replaces a dataset relies on them to leave
// anything else alone.
func TestSavedNamesWhatSaveWrites(t *testing.T) {
	dir := t.TempDir()
	opt := Options{MaxShardBytes: 64}
	if err := Save(filepath.Join(dir, "ds"), referenceSplits(), opt); err != nil {
		t.Fatal(err)
	}
	if err := SaveParquet(filepath.Join(dir, "pq"), referenceSplits(), opt); err != nil {
		t.Fatal(err)
	}
	check := func(root string, saved func(string, bool) bool) int {
		n := 0
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || p == root {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			if !saved(filepath.ToSlash(rel), d.IsDir()) {
				t.Errorf("%s was written but is not recognised", rel)
			}
			n++
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := check(filepath.Join(dir, "ds"), Saved); n < 8 {
		t.Errorf("only %d entries in the dataset", n)
	}
	if n := check(filepath.Join(dir, "pq", "data"), SavedParquet); n < 3 {
		t.Errorf("only %d Parquet files", n)
	}
	for _, rel := range []string{"raw", "raw/corpus.txt", "train/cache-1234.arrow", "train/x/state.json", "notes.txt", "../x", "train/../dataset_dict.json"} {
		if Saved(rel, false) || (!strings.Contains(rel, ".") && Saved(rel+"/x", false)) {
			t.Errorf("Saved(%q) is true", rel)
		}
		if SavedParquet(rel, false) || SavedParquet(rel, true) {
			t.Errorf("SavedParquet(%q) is true", rel)
		}
	}
}
