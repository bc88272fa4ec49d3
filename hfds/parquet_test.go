package hfds

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"math"
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
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/hardneg/hardneg/internal/arrowcheck"
)

// parquetFile is one Parquet file as arrow-go's Parquet reader decodes it.
type parquetFile struct {
	createdBy string
	version   string
	kvKeys    []string // in file order
	kv        map[string]string
	columns   string        // the Parquet schema: root, then one line per leaf column
	arrow     *arrow.Schema // the Arrow schema pqarrow reads (ARROW:schema applied)
	stored    *arrow.Schema // ARROW:schema decoded on its own; nil when absent
	rowGroups []int
	chunks    string // one line per column chunk: codec, encodings, pages, statistics, page index
	rows      [][]any
}

// readParquetGo reads path with arrow-go's parquet/file and pqarrow.
func readParquetGo(t testing.TB, path string) parquetFile {
	t.Helper()
	r, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer r.Close()
	md := r.MetaData()
	p := parquetFile{createdBy: md.GetCreatedBy(), version: md.Version().String(), kv: map[string]string{}}
	kv := md.KeyValueMetadata()
	for i, k := range kv.Keys() {
		p.kvKeys = append(p.kvKeys, k)
		p.kv[k] = kv.Values()[i]
	}

	var b strings.Builder
	fmt.Fprintf(&b, "root %s repetition=%s\n", md.Schema.Root().Name(), md.Schema.Root().RepetitionType())
	for i := range md.Schema.NumColumns() {
		c := md.Schema.Column(i)
		fmt.Fprintf(&b, "%s: %s logical=%s converted=%s repetition=%s maxdef=%d maxrep=%d\n",
			c.Path(), c.PhysicalType(), c.LogicalType(), c.ConvertedType(), c.SchemaNode().RepetitionType(),
			c.MaxDefinitionLevel(), c.MaxRepetitionLevel())
	}
	p.columns = b.String()

	b.Reset()
	for g := range md.NumRowGroups() {
		rg := md.RowGroup(g)
		p.rowGroups = append(p.rowGroups, int(rg.NumRows()))
		for c := range rg.NumColumns() {
			cc, err := rg.ColumnChunk(c)
			if err != nil {
				t.Fatalf("%s: row group %d column %d: %v", path, g, c, err)
			}
			var encs []string
			for _, e := range cc.Encodings() {
				encs = append(encs, e.String())
			}
			slices.Sort(encs)
			fmt.Fprintf(&b, "row group %d %s: %s %v dictionary page=%v", g, cc.PathInSchema(), cc.Compression(), encs, cc.HasDictionaryPage())
			st, err := cc.Statistics()
			if err != nil {
				t.Fatalf("%s: statistics: %v", path, err)
			}
			if st == nil || !st.HasMinMax() || !st.HasNullCount() {
				b.WriteString(" no statistics")
			} else {
				fmt.Fprintf(&b, " nulls=%d min=%x max=%x", st.NullCount(), st.EncodeMin(), st.EncodeMax())
			}
			fmt.Fprintf(&b, " column index=%v offset index=%v\n", cc.GetColumnIndexLocation() != nil, cc.GetOffsetIndexLocation() != nil)
		}
	}
	p.chunks = b.String()

	if s, ok := p.kv["ARROW:schema"]; ok {
		raw, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			t.Fatalf("%s: ARROW:schema: %v", path, err)
		}
		ir, err := ipc.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%s: ARROW:schema: %v", path, err)
		}
		p.stored = ir.Schema()
		ir.Release()
	}

	fr, err := pqarrow.NewFileReader(r, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if p.arrow, err = fr.Schema(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	tbl, err := fr.ReadTable(t.Context())
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer tbl.Release()
	p.rows = tableValues(t, path, tbl)
	return p
}

// tableValues returns an Arrow table's rows as Go values, the form of
// tableRows.
func tableValues(t testing.TB, path string, tbl arrow.Table) [][]any {
	t.Helper()
	rows := make([][]any, tbl.NumRows())
	for i := range rows {
		rows[i] = make([]any, tbl.NumCols())
	}
	for j := range int(tbl.NumCols()) {
		i := 0
		for _, chunk := range tbl.Column(j).Data().Chunks() {
			for k := range chunk.Len() {
				if chunk.IsNull(k) {
					t.Fatalf("%s: row %d column %d is null", path, i, j)
				}
				switch a := chunk.(type) {
				case *array.String:
					rows[i][j] = a.Value(k)
				case *array.Float64:
					rows[i][j] = a.Value(k)
				case *array.Int64:
					rows[i][j] = a.Value(k)
				case *array.List:
					v, err := listValue(a, k)
					if err != nil {
						t.Fatalf("%s: row %d column %d: %v", path, i, j, err)
					}
					rows[i][j] = v
				default:
					t.Fatalf("%s: unexpected array type %s", path, chunk.DataType())
				}
				i++
			}
		}
	}
	return rows
}

// parquetFiles returns the files of split under dir/data in shard order,
// and checks that they are named {split}-{i:05d}-of-{n:05d}.parquet.
func parquetFiles(t testing.TB, dir, split string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), split+"-") {
			files = append(files, e.Name())
		}
	}
	for i, f := range files {
		if want := fmt.Sprintf("%s-%05d-of-%05d.parquet", split, i, len(files)); f != want {
			t.Fatalf("shard %d of split %q is %q, want %q", i, split, f, want)
		}
		files[i] = filepath.Join(dir, "data", f)
	}
	if len(files) == 0 {
		t.Fatalf("no files for split %q in %s", split, dir)
	}
	return files
}

func referenceParquet(t testing.TB) string {
	t.Helper()
	return filepath.Join(sharedReference(t), "..", "parquet", "train-00000-of-00001.parquet")
}

// TestSaveParquetMatchesReference writes the reference's five rows and
// compares the result, decoded by arrow-go, with the file datasets 5.0.1 and
// pyarrow 25.0.1 wrote for the train split.
func TestSaveParquetMatchesReference(t *testing.T) {
	checkParquetMatches(t, referenceSplits(), map[string]string{"train": referenceParquet(t)})
}

// TestSaveParquetListsMatchReference does the same for the list fixtures,
// which have a reference file for both splits (datasets 5.0.1, pyarrow
// 26.0.1).
func TestSaveParquetListsMatchReference(t *testing.T) {
	refs := map[string]string{}
	for _, s := range []string{"train", "validation"} {
		refs[s] = filepath.Join(listsReference, "parquet", s+"-00000-of-00001.parquet")
	}
	checkParquetMatches(t, listsSplits(), refs)
}

// checkParquetMatches saves splits with SaveParquet and compares each file
// with the reference file of its split, or when it has none with the train
// split's in what does not depend on the rows: schema, metadata and format.
func checkParquetMatches(t *testing.T, splits []Split, refs map[string]string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "hub")
	if err := SaveParquet(dir, splits, Options{}); err != nil {
		t.Fatal(err)
	}
	var wantTree []string
	for _, s := range splits {
		wantTree = append(wantTree, "data/"+s.Name+"-00000-of-00001.parquet")
	}
	slices.Sort(wantTree)
	if got := strings.Join(slices.Sorted(maps.Keys(readTree(t, dir))), " "); got != strings.Join(wantTree, " ") {
		t.Fatalf("files %q, want %q", got, wantTree)
	}

	for _, s := range splits {
		t.Run(s.Name, func(t *testing.T) {
			ref, own := refs[s.Name]
			if !own {
				ref = refs["train"]
			}
			want := readParquetGo(t, ref)
			got := readParquetGo(t, filepath.Join(dir, "data", s.Name+"-00000-of-00001.parquet"))
			if got.columns != want.columns {
				t.Errorf("Parquet schema:\n%s\nwant (reference):\n%s", got.columns, want.columns)
			}
			if g, w := fieldsString(got.arrow), fieldsString(want.arrow); g != w {
				t.Errorf("Arrow schema:\n%s\nwant (reference):\n%s", g, w)
			}
			if got.stored == nil {
				t.Error("no ARROW:schema")
			} else if g, w := fieldsString(got.stored), fieldsString(want.stored); g != w {
				t.Errorf("ARROW:schema:\n%s\nwant (reference):\n%s", g, w)
			}
			if got.kv["huggingface"] != want.kv["huggingface"] {
				t.Errorf("huggingface metadata:\n%q\nwant (reference):\n%q", got.kv["huggingface"], want.kv["huggingface"])
			}
			// The reference has one key more: content_defined_chunking, which
			// arrow-go cannot honour (see SaveParquet).
			gotKeys := slices.Sorted(maps.Keys(got.kv))
			wantKeys := slices.DeleteFunc(slices.Sorted(maps.Keys(want.kv)), func(k string) bool { return k == "content_defined_chunking" })
			if !slices.Equal(gotKeys, wantKeys) || len(wantKeys) != len(want.kv)-1 {
				t.Errorf("metadata keys %q, want the reference's %q less content_defined_chunking", gotKeys, want.kvKeys)
			}
			if got.version != want.version {
				t.Errorf("format version %s, reference %s", got.version, want.version)
			}
			if got.createdBy != parquet.DefaultCreatedBy {
				t.Errorf("created_by %q, want %q", got.createdBy, parquet.DefaultCreatedBy)
			}
			if err := sameRows(got.rows, tableRows(s.Table)); err != nil {
				t.Errorf("rows differ from the input: %v", err)
			}
			if !own {
				return
			}
			if err := sameRows(got.rows, want.rows); err != nil {
				t.Errorf("rows differ from the reference's: %v", err)
			}
			if !slices.Equal(got.rowGroups, want.rowGroups) {
				t.Errorf("row groups %v, reference %v", got.rowGroups, want.rowGroups)
			}
			// Same codec, encodings, pages, statistics and page index.
			if got.chunks != want.chunks {
				t.Errorf("column chunks:\n%s\nwant (reference):\n%s", got.chunks, want.chunks)
			}
		})
	}
}

// parquetColumns is the schema dump-parquet.mjs should report for table:
// one element per scalar column, three per list column.
func parquetColumns(table Table) []arrowcheck.ParquetColumn {
	var cols []arrowcheck.ParquetColumn
	for _, c := range table.Columns {
		leaf := arrowcheck.ParquetColumn{Name: c.Name, Repetition: "OPTIONAL"}
		switch c.Type.elem() {
		case String:
			leaf.Type, leaf.Converted, leaf.Logical = "BYTE_ARRAY", "UTF8", "STRING"
		case Float64:
			leaf.Type = "DOUBLE"
		case Int64:
			leaf.Type = "INT64" // bare, as pyarrow writes it
		}
		if !c.Type.isList() {
			cols = append(cols, leaf)
			continue
		}
		leaf.Name, leaf.Depth = "element", 2
		cols = append(cols,
			arrowcheck.ParquetColumn{Name: c.Name, Repetition: "OPTIONAL", Converted: "LIST", Logical: "LIST", Children: 1},
			arrowcheck.ParquetColumn{Name: "list", Depth: 1, Repetition: "REPEATED", Children: 1},
			leaf)
	}
	return cols
}

// nodeParquetRows converts a dump's rows to Go values like tableRows',
// parsing numbers exactly.
func nodeParquetRows(t *testing.T, d arrowcheck.ParquetDump) [][]any {
	t.Helper()
	types := map[string]Type{"BYTE_ARRAY": String, "DOUBLE": Float64, "INT64": Int64}
	type column struct {
		name string
		elem Type
		list bool
	}
	var cols []column
	for i := 0; i < len(d.Schema); i++ {
		e := d.Schema[i]
		if e.Depth != 0 {
			t.Fatalf("schema element %d %+v: want a column", i, e)
		}
		c := column{name: e.Name}
		if e.Children > 0 { // a LIST group: the leaf is two elements on
			c.list = true
			i += 2
			if i >= len(d.Schema) {
				t.Fatalf("column %q: schema ends early", e.Name)
			}
			e = d.Schema[i]
		}
		elem, ok := types[e.Type]
		if !ok {
			t.Fatalf("column %q: unexpected type %q", c.name, e.Type)
		}
		c.elem = elem
		cols = append(cols, c)
	}
	rows := make([][]any, len(d.Rows))
	for i, m := range d.Rows {
		if len(m) != len(cols) {
			t.Fatalf("row %d has %d values, want %d", i, len(m), len(cols))
		}
		row := make([]any, len(cols))
		for j, c := range cols {
			v, ok := m[c.name]
			if !ok {
				t.Fatalf("row %d lacks %q", i, c.name)
			}
			var err error
			if c.list {
				row[j], err = nodeList(v, c.elem)
			} else {
				row[j], err = nodeValue(v, c.elem)
			}
			if err != nil {
				t.Fatalf("row %d column %q: %v", i, c.name, err)
			}
		}
		rows[i] = row
	}
	return rows
}

// checkNodeParquet compares a node dump with the table that was saved.
func checkNodeParquet(t *testing.T, d arrowcheck.ParquetDump, table Table, wantRowGroups []int) {
	t.Helper()
	if want := parquetColumns(table); !slices.Equal(d.Schema, want) {
		t.Errorf("schema %+v, want %+v", d.Schema, want)
	}
	if got, want := d.Metadata["huggingface"], schemaMetadataJSON(table.Columns); got != want {
		t.Errorf("huggingface metadata %q, want %q", got, want)
	}
	if _, ok := d.Metadata["ARROW:schema"]; !ok || len(d.Metadata) != 2 {
		t.Errorf("metadata keys %q, want huggingface and ARROW:schema", slices.Sorted(maps.Keys(d.Metadata)))
	}
	if d.CreatedBy != parquet.DefaultCreatedBy {
		t.Errorf("created_by %q, want %q", d.CreatedBy, parquet.DefaultCreatedBy)
	}
	// datasets leaves list leaves uncompressed (see parquetProperties).
	wantCodecs := []string{}
	if len(wantRowGroups) > 0 {
		for _, c := range table.Columns {
			if !c.Type.isList() {
				wantCodecs = append(wantCodecs, "SNAPPY")
				break
			}
		}
		for _, c := range table.Columns {
			if c.Type.isList() {
				wantCodecs = append(wantCodecs, "UNCOMPRESSED")
				break
			}
		}
	}
	if !slices.Equal(d.Codecs, wantCodecs) {
		t.Errorf("codecs %q, want %q", d.Codecs, wantCodecs)
	}
	if !slices.Equal(d.RowGroups, wantRowGroups) {
		t.Errorf("row groups %v, want %v", d.RowGroups, wantRowGroups)
	}
	if err := sameRows(nodeParquetRows(t, d), tableRows(table)); err != nil {
		t.Errorf("rows: %v", err)
	}
}

// edgeTable is mixedTable with values that readers get wrong: all 17 digits,
// -0, the smallest subnormal, int64 limits, 2^53+1, a byte order mark, NUL,
// quotes and emoji.
func edgeTable(rows int) Table {
	tb := mixedTable(rows)
	tenth, fifth := 0.1, 0.2                  // variables: constant arithmetic would give 0.3
	tb.Columns[2].Float64s[0] = tenth + fifth // 0.30000000000000004
	tb.Columns[2].Float64s[1] = math.Copysign(0, -1)
	tb.Columns[2].Float64s[2] = 5e-324
	tb.Columns[1].Int64s[0] = -1 << 63
	tb.Columns[1].Int64s[1] = 1<<63 - 1
	tb.Columns[1].Int64s[2] = 1<<53 + 1 // not exact as a float64
	tb.Columns[0].Strings[3] = "따옴표 \" 역슬래시 \\ 줄바꿈 \n 😀"
	tb.Columns[0].Strings[4] = "\ufeff바이트 순서 표시"
	tb.Columns[0].Strings[5] = "a\x00b"
	tb.Columns[0].Strings[6] = ""
	return tb
}

// wantRowGroups is the row-group split of a table of rows rows cut into n
// shards, with at most groupRows rows per row group.
func wantRowGroups(rows, n, groupRows int) []int {
	var groups []int
	for i := range n {
		lo, hi := shardBounds(rows, n, i)
		for start := lo; start < hi; start += groupRows {
			groups = append(groups, min(groupRows, hi-start))
		}
	}
	return groups
}

func TestNodeReadsOurParquet(t *testing.T) {
	splits := append(referenceSplits(),
		Split{Name: "extra", Table: edgeTable(25)},
		Split{Name: "empty", Table: tripletTable(nil)},
		Split{Name: "lists", Table: listsTable(listsRows["train"])},
		Split{Name: "morelists", Table: listEdgeTable(40)},
		Split{Name: "nolists", Table: listsTable(listsRef{})},
	)
	dir := filepath.Join(t.TempDir(), "hub")
	opt := Options{MaxShardBytes: 300, BatchRows: 4}
	if err := SaveParquet(dir, splits, opt); err != nil {
		t.Fatal(err)
	}
	for _, s := range splits {
		t.Run(s.Name, func(t *testing.T) {
			files := parquetFiles(t, dir, s.Name)
			rows := s.Table.NumRows()
			n := shardCount(s.Table.nbytes(), opt.MaxShardBytes, rows)
			if len(files) != n || (s.Name == "extra" || s.Name == "morelists") && n < 3 {
				t.Fatalf("%d files, want %d (several for extra)", len(files), n)
			}
			groups := wantRowGroups(rows, n, opt.BatchRows)

			// arrow-go, shard by shard; then hyparquet, all shards at once.
			var goRows [][]any
			var goGroups []int
			for _, f := range files {
				p := readParquetGo(t, f)
				goRows = append(goRows, p.rows...)
				goGroups = append(goGroups, p.rowGroups...)
			}
			if err := sameRows(goRows, tableRows(s.Table)); err != nil {
				t.Errorf("arrow-go rows: %v", err)
			}
			if !slices.Equal(goGroups, groups) {
				t.Errorf("arrow-go row groups %v, want %v", goGroups, groups)
			}
			checkNodeParquet(t, arrowcheck.ReadParquet(t, files...), s.Table, groups)
		})
	}
}

// TestSaveParquetDefaultRowGroups checks datasets' size rule end to end: a
// small table is one row group per shard.
func TestSaveParquetDefaultRowGroups(t *testing.T) {
	table := edgeTable(3000)
	dir := filepath.Join(t.TempDir(), "hub")
	opt := Options{MaxShardBytes: 30_000}
	if err := SaveParquet(dir, []Split{{Name: "train", Table: table}}, opt); err != nil {
		t.Fatal(err)
	}
	files := parquetFiles(t, dir, "train")
	n := shardCount(table.nbytes(), opt.MaxShardBytes, table.NumRows())
	if len(files) != n || n < 2 {
		t.Fatalf("%d files, want %d (several)", len(files), n)
	}
	groups := wantRowGroups(table.NumRows(), n, table.NumRows())
	var goGroups []int
	for _, f := range files {
		goGroups = append(goGroups, readParquetGo(t, f).rowGroups...)
	}
	if !slices.Equal(goGroups, groups) {
		t.Errorf("arrow-go row groups %v, want %v", goGroups, groups)
	}
	checkNodeParquet(t, arrowcheck.ReadParquet(t, files...), table, groups)
}

func TestParquetRowGroupRows(t *testing.T) {
	tests := []struct {
		name   string
		rows   int
		nbytes int64
		want   int
	}{
		{"no data", 0, 0, 1},
		{"no bytes", 10, 0, 1},
		{"small table", 3, 392, 765_306},
		{"200 MB", 1000, 200_000_000, 500},
		{"100 MB", 1000, 100_000_000, 1000},
		{"rows bigger than 100 MB", 3, 1_000_000_000, 1},
		{"product overflows", 1 << 40, 1 << 50, parquetMaxRowGroupRows},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parquetRowGroupRows(tt.rows, tt.nbytes); got != tt.want {
				t.Errorf("parquetRowGroupRows(%d, %d) = %d, want %d", tt.rows, tt.nbytes, got, tt.want)
			}
		})
	}
}

// TestNodeReadsReferenceParquet shows that the node reader reads what
// datasets writes, and reports it as it reports ours.
func TestNodeReadsReferenceParquet(t *testing.T) {
	d := arrowcheck.ReadParquet(t, referenceParquet(t))
	table := tripletTable(referenceRows["train"])
	if want := parquetColumns(table); !slices.Equal(d.Schema, want) {
		t.Errorf("schema %+v, want %+v", d.Schema, want)
	}
	if got, want := d.Metadata["huggingface"], schemaMetadataJSON(table.Columns); got != want {
		t.Errorf("huggingface metadata %q, want %q", got, want)
	}
	if !slices.Equal(d.Codecs, []string{"SNAPPY"}) || !slices.Equal(d.RowGroups, []int{3}) {
		t.Errorf("codecs %q, row groups %v; want SNAPPY, [3]", d.Codecs, d.RowGroups)
	}
	if !strings.HasPrefix(d.CreatedBy, "parquet-cpp-arrow version ") {
		t.Errorf("created_by %q", d.CreatedBy)
	}
	if err := sameRows(nodeParquetRows(t, d), tableRows(table)); err != nil {
		t.Errorf("rows: %v", err)
	}
}

// TestNodeReadsListsReferenceParquet does the same for the list fixtures,
// both splits at once.
func TestNodeReadsListsReferenceParquet(t *testing.T) {
	dir := filepath.Join(listsReference, "parquet")
	d := arrowcheck.ReadParquet(t, filepath.Join(dir, "train-00000-of-00001.parquet"), filepath.Join(dir, "validation-00000-of-00001.parquet"))
	train, validation := listsTable(listsRows["train"]), listsTable(listsRows["validation"])
	if want := parquetColumns(train); !slices.Equal(d.Schema, want) {
		t.Errorf("schema %+v, want %+v", d.Schema, want)
	}
	if got, want := d.Metadata["huggingface"], schemaMetadataJSON(train.Columns); got != want {
		t.Errorf("huggingface metadata %q, want %q", got, want)
	}
	if !slices.Equal(d.Codecs, []string{"SNAPPY", "UNCOMPRESSED"}) || !slices.Equal(d.RowGroups, []int{3, 2}) {
		t.Errorf("codecs %q, row groups %v; want SNAPPY and UNCOMPRESSED, [3 2]", d.Codecs, d.RowGroups)
	}
	if err := sameRows(nodeParquetRows(t, d), append(tableRows(train), tableRows(validation)...)); err != nil {
		t.Errorf("rows: %v", err)
	}
}

// TestNodeRefusesParquet checks that the node reader fails on a broken file
// instead of printing what it could salvage.
func TestNodeRefusesParquet(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "hub")
	if err := SaveParquet(dir, referenceSplits(), Options{}); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "data", "train-00000-of-00001.parquet")
	b, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	other := t.TempDir()
	ints := filepath.Join(other, "ints.parquet")
	if err := SaveParquet(filepath.Join(other, "hub"), []Split{{Name: "train", Table: mixedTable(3)}}, Options{}); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(other, "hub", "data", "train-00000-of-00001.parquet"), ints); err != nil {
		t.Fatal(err)
	}
	// writeParquetShard does not validate, so it can write what SaveParquet
	// refuses.
	badUTF8 := filepath.Join(other, "bad-utf8.parquet")
	bad := tripletTable(referenceRows["train"])
	bad.Columns[0].Strings[1] = "\xff야당"
	if err := writeParquetShard(badUTF8, bad, 10); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		files func(t *testing.T) []string
		want  string
	}{
		{"invalid UTF-8", func(t *testing.T) []string { return []string{badUTF8} }, "not valid"},
		{"truncated footer", func(t *testing.T) []string { return []string{writeTemp(t, b[:len(b)-3])} }, "PAR1"},
		{"not Parquet", func(t *testing.T) []string { return []string{writeTemp(t, []byte("anchor,positive\n"))} }, "PAR1"},
		{"schemas differ", func(t *testing.T) []string { return []string{good, ints} }, "differ"},
		{"missing file", func(t *testing.T) []string { return []string{filepath.Join(other, "nope.parquet")} }, "nope.parquet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := arrowcheck.TryReadParquet(t, tt.files(t)...)
			if err == nil {
				t.Fatalf("node read it: %d rows", len(d.Rows))
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

func writeTemp(t *testing.T, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f.parquet")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSaveParquetDeterministic(t *testing.T) {
	splits := []Split{
		{Name: "train", Table: edgeTable(3000)},
		{Name: "validation", Table: mixedTable(7)},
	}
	opt := Options{MaxShardBytes: 20_000, BatchRows: 333}
	var trees []map[string][]byte
	for range 2 {
		dir := filepath.Join(t.TempDir(), "hub")
		if err := SaveParquet(dir, splits, opt); err != nil {
			t.Fatal(err)
		}
		trees = append(trees, readTree(t, dir))
	}
	if len(trees[0]) < 4 {
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
}

func TestSaveParquetIntoExistingEmptyDir(t *testing.T) {
	dir := t.TempDir()
	if err := SaveParquet(dir, referenceSplits(), Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "validation-00000-of-00001.parquet")); err != nil {
		t.Error(err)
	}
}

func TestSaveParquetRefuses(t *testing.T) {
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
		prepare func(t *testing.T, dir string)
		want    error
	}{
		{name: "no splits", splits: nil, want: ErrNoSplits},
		{name: "split name with slash", splits: []Split{{Name: "a/b", Table: good()}}, want: ErrSplitName},
		{name: "split name ..", splits: []Split{{Name: "..", Table: good()}}, want: ErrSplitName},
		{name: "duplicate split", splits: []Split{{Name: "train", Table: good()}, {Name: "train", Table: good()}}, want: ErrDuplicateSplit},
		{name: "no columns", splits: one(Table{}), want: ErrNoColumns},
		{name: "duplicate column", splits: one(with(func(tb *Table) { tb.Columns[2].Name = "anchor" })), want: ErrDuplicateColumn},
		{name: "short column", splits: one(with(func(tb *Table) { tb.Columns[2].Strings = tb.Columns[2].Strings[:2] })), want: ErrColumnLength},
		{name: "Float64 column with Strings", splits: one(with(func(tb *Table) { tb.Columns[3].Strings = []string{"a", "b", "c"} })), want: ErrColumnType},
		{name: "unknown type", splits: one(with(func(tb *Table) { tb.Columns[3].Type = Type(9) })), want: ErrColumnType},
		{name: "invalid UTF-8 value", splits: one(with(func(tb *Table) { tb.Columns[4].Strings[2] = "me\xc0dium" })), want: ErrInvalidUTF8},
		{name: "bad second split", splits: []Split{{Name: "train", Table: good()}, {Name: "validation", Table: with(func(tb *Table) { tb.Columns[0].Name = "" })}}, want: ErrColumnName},
		{name: "negative batch rows", splits: one(good()), opt: Options{BatchRows: -1}, want: ErrBadOptions},
		{name: "negative shard size", splits: one(good()), opt: Options{MaxShardBytes: -1}, want: ErrBadOptions},
		{name: "non-empty dir", splits: one(good()), want: ErrDirNotEmpty, prepare: func(t *testing.T, dir string) {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte("keep"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "dir is a file", splits: one(good()), want: nil, prepare: func(t *testing.T, dir string) {
			if err := os.WriteFile(dir, []byte("keep"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "hub")
			if tt.prepare != nil {
				tt.prepare(t, dir)
			}
			before := readTreeIfDir(t, dir)
			beforeStat := statString(dir)
			err := SaveParquet(dir, tt.splits, tt.opt)
			if err == nil {
				t.Fatal("SaveParquet succeeded, want an error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error %q, want %q", err, tt.want)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "hfds: save parquet "+dir+": ") {
				t.Errorf("error %q does not start with the operation and path", msg)
			}
			// A refused save leaves the file system as it found it.
			if after := readTreeIfDir(t, dir); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("dir changed: %v, was %v", after, before)
			}
			if after := statString(dir); after != beforeStat {
				t.Errorf("dir is now %s, was %s", after, beforeStat)
			}
		})
	}
}

// statString says whether path is absent, a folder or a file.
func statString(path string) string {
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		return "absent"
	case fi.IsDir():
		return "a folder"
	}
	return "a file"
}

// TestSaveParquetCleansUp makes the write of a later shard fail and checks
// that SaveParquet removes what it had written.
func TestSaveParquetCleansUp(t *testing.T) {
	errDisk := errors.New("disk full")
	defer func(f func(string, Table, int) error) { writeParquetShardFunc = f }(writeParquetShardFunc)
	writeParquetShardFunc = func(path string, tb Table, rowGroupRows int) error {
		if strings.HasPrefix(filepath.Base(path), "validation-") {
			return errDisk
		}
		return writeParquetShard(path, tb, rowGroupRows)
	}

	for _, existing := range []bool{false, true} {
		t.Run(fmt.Sprintf("existing dir %v", existing), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "hub")
			if existing {
				if err := os.Mkdir(dir, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			err := SaveParquet(dir, referenceSplits(), Options{})
			if !errors.Is(err, errDisk) {
				t.Fatalf("error %v, want %v", err, errDisk)
			}
			if !strings.Contains(err.Error(), `split "validation"`) {
				t.Errorf("error %q does not name the split", err)
			}
			want := "absent"
			if existing {
				want = "a folder"
			}
			if got := statString(dir); got != want {
				t.Fatalf("dir is %s, want %s", got, want)
			}
			if existing {
				if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
					t.Errorf("dir holds %v (%v), want nothing", entries, err)
				}
			}
		})
	}
}

// TestParquetGolden keeps a text dump of the reference rows' Parquet output,
// with each file's size and SHA-256, so that any change in the bytes we
// write shows up in review. Refresh it with
// go test ./hfds -run TestParquetGolden -update.
func TestParquetGolden(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "hub")
	splits := append(referenceSplits(), Split{Name: "ints", Table: Table{Columns: []Column{
		{Name: "id", Type: Int64, Int64s: []int64{-1 << 63, 0, 1<<63 - 1}},
		{Name: "é \"q\" 😀", Type: String, Strings: []string{"", "a\x00b", "😀"}},
	}}}, Split{Name: "lists", Table: listsTable(listsRows["train"])})
	if err := SaveParquet(dir, splits, Options{BatchRows: 2}); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, s := range splits {
		for _, f := range parquetFiles(t, dir, s.Name) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(raw)
			digest := hex.EncodeToString(sum[:])
			p := readParquetGo(t, f)
			fmt.Fprintf(&b, "== data/%s\n%d bytes, sha256 %s\ncreated_by %q, format %s\n", filepath.Base(f), len(raw), digest, p.createdBy, p.version)
			for _, k := range p.kvKeys {
				if k == "ARROW:schema" {
					fmt.Fprintf(&b, "metadata %q (decoded):\n%s", k, fieldsString(p.stored))
					continue
				}
				fmt.Fprintf(&b, "metadata %q: %q\n", k, p.kv[k])
			}
			fmt.Fprintf(&b, "%s%srow groups %v\n", p.columns, p.chunks, p.rowGroups)
			writeRows(&b, p.rows)
		}
	}
	got := b.String()
	golden := filepath.Join("testdata", "parquet_reference_triplets.golden")
	if *update {
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

// BenchmarkSaveParquet writes one split; 350k rows is the real data's size.
// Bytes per second count the table's Arrow data size (Table.nbytes).
func BenchmarkSaveParquet(b *testing.B) {
	for _, n := range []int{1_000, 35_000, 350_000} {
		table := benchTriplets(n)
		splits := []Split{{Name: "train", Table: table}}
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			base := b.TempDir()
			b.SetBytes(table.nbytes())
			b.ReportAllocs()
			for b.Loop() {
				dir := filepath.Join(base, "hub")
				if err := SaveParquet(dir, splits, Options{}); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if err := os.RemoveAll(dir); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}
