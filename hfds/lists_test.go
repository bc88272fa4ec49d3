package hfds

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
)

// listsRef are the rows of testdata/datasets-5.0.1-lists (see its
// README.md), as columns: query, pos, neg, pos_scores, neg_scores, labels,
// label.
type listsRef struct {
	query                []string
	pos, neg             [][]string
	posScores, negScores [][]float64
	labels               [][]int64
	label                []int64
}

var listsRows = map[string]listsRef{
	"train": {
		query:     []string{"니콜라이", "야당", "李滉 😀 \"q\""},
		pos:       [][]string{{"성 니콜라우스"}, {"야당정치인", "野黨"}, {"李穡", ""}},
		neg:       [][]string{{"니콜", "니콜라스"}, {}, {"諡號", "줄\n바꿈 \\ 😀"}},
		posScores: [][]float64{{0.9123456789012345}, {0.875, 0.75}, {0.611, math.Copysign(0, -1)}},
		negScores: [][]float64{{0.7601234567890123, 0.5}, {}, {0.30000000000000004, 5e-324}},
		labels:    [][]int64{{1, 0, 0}, {}, {1, 9007199254740993, math.MinInt64, math.MaxInt64}},
		label:     []int64{1, 0, -1},
	},
	"validation": {
		query:     []string{"사천면", ""},
		pos:       [][]string{{"사천"}, {}},
		neg:       [][]string{{"조짐"}, {"바이어 레버쿠젠", "배드민턴", "레버쿠젠"}},
		posScores: [][]float64{{0.9}, {}},
		negScores: [][]float64{{0.312}, {0.505, 0.5, 0.25}},
		labels:    [][]int64{{1, 0}, {0, 0, 0}},
		label:     []int64{1, 0},
	},
}

func listsTable(r listsRef) Table {
	return Table{Columns: []Column{
		{Name: "query", Type: String, Strings: r.query},
		listColumn("pos", ListString, r.pos),
		listColumn("neg", ListString, r.neg),
		listColumn("pos_scores", ListFloat64, r.posScores),
		listColumn("neg_scores", ListFloat64, r.negScores),
		listColumn("labels", ListInt64, r.labels),
		{Name: "label", Type: Int64, Int64s: r.label},
	}}
}

func listsSplits() []Split {
	return []Split{
		{Name: "train", Table: listsTable(listsRows["train"])},
		{Name: "validation", Table: listsTable(listsRows["validation"])},
	}
}

// listsReference is the folder of the list fixtures, committed with the
// package (unlike the triplet reference, which lives in shared/).
var listsReference = filepath.Join("testdata", "datasets-5.0.1-lists")

func TestListTypeString(t *testing.T) {
	for typ, want := range map[Type]string{
		ListString:  "List(Value('string'))",
		ListFloat64: "List(Value('float64'))",
		ListInt64:   "List(Value('int64'))",
		Type(6):     "Type(6)",
	} {
		if got := typ.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(typ), got, want)
		}
	}
}

// listEdgeTable has list columns whose rows are empty, long, or cross
// batch boundaries, and a scalar column that numbers the rows.
func listEdgeTable(rows int) Table {
	ss := make([][]string, rows)
	fs := make([][]float64, rows)
	is := make([][]int64, rows)
	ids := make([]int64, rows)
	for i := range rows {
		ids[i] = int64(i)
		n := (i * 7) % 5 // 0, 2, 4, 1, 3, 0, ...
		if i%11 == 10 {
			n = 13 // longer than a batch of rows in the tests
		}
		for k := range n {
			ss[i] = append(ss[i], fmt.Sprintf("값-%d-%d", i, k))
			fs[i] = append(fs[i], float64(i)+float64(k)/8)
			is[i] = append(is[i], int64(i)<<32|int64(k))
		}
		if ss[i] == nil {
			ss[i], fs[i], is[i] = []string{}, []float64{}, []int64{}
		}
	}
	return Table{Columns: []Column{
		{Name: "id", Type: Int64, Int64s: ids},
		listColumn("texts", ListString, ss),
		listColumn("scores", ListFloat64, fs),
		listColumn("labels", ListInt64, is),
	}}
}

// TestSaveLists writes list columns over several shards and batches and
// reads them back: each batch's offsets are rebased, and each shard starts
// at the right value.
func TestSaveLists(t *testing.T) {
	allEmpty := Table{Columns: []Column{
		listColumn("a", ListString, [][]string{{}, {}, {}}),
		listColumn("b", ListFloat64, [][]float64{{}, {}, {}}),
		listColumn("c", ListInt64, [][]int64{{}, {}, {}}),
	}}
	tests := []struct {
		name  string
		table Table
		opt   Options
	}{
		{"one batch", listEdgeTable(40), Options{}},
		{"batches of 3", listEdgeTable(40), Options{BatchRows: 3}},
		{"batches of 1", listEdgeTable(12), Options{BatchRows: 1}},
		{"shards and batches", listEdgeTable(40), Options{BatchRows: 4, MaxShardBytes: 800}},
		{"one row per shard", listEdgeTable(5), Options{MaxShardBytes: 1}},
		{"all lists empty", allEmpty, Options{BatchRows: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			splitDir := saveOne(t, tt.table, tt.opt)
			files := dataFiles(t, splitDir)
			rows := tt.table.NumRows()
			opt, err := tt.opt.withDefaults()
			if err != nil {
				t.Fatal(err)
			}
			n := shardCount(tt.table.nbytes(), opt.MaxShardBytes, rows)
			if tt.name == "shards and batches" && n < 3 {
				t.Fatalf("%d shards; the test wants several", n)
			}
			if len(files) != n {
				t.Fatalf("%d shards, want %d", len(files), n)
			}
			schemas, batches, got := readSplitArrowGo(t, splitDir, files)
			for _, s := range schemas {
				if g, w := fieldsString(s), fieldsString(arrowSchema(tt.table.Columns)); g != w {
					t.Errorf("schema\n%s\nwant\n%s", g, w)
				}
			}
			if err := sameRows(got, tableRows(tt.table)); err != nil {
				t.Errorf("rows: %v", err)
			}
			batchRows := opt.BatchRows
			var want []int
			for i := range n {
				lo, hi := shardBounds(rows, n, i)
				for s := lo; s < hi; s += batchRows {
					want = append(want, min(batchRows, hi-s))
				}
			}
			if fmt.Sprint(batches) != fmt.Sprint(want) {
				t.Errorf("batches %v, want %v", batches, want)
			}
		})
	}
}

// TestSaveListsEmptySplit writes list columns without rows, with Offsets
// nil or [0].
func TestSaveListsEmptySplit(t *testing.T) {
	tables := map[string]Table{
		"nil offsets": {Columns: []Column{{Name: "a", Type: ListString}, {Name: "b", Type: ListFloat64}, {Name: "c", Type: ListInt64}}},
		"offsets [0]": {Columns: []Column{
			{Name: "a", Type: ListString, Offsets: []int{0}},
			{Name: "b", Type: ListFloat64, Offsets: []int{0}, Float64s: []float64{}},
			{Name: "q", Type: String},
		}},
	}
	for name, table := range tables {
		t.Run(name, func(t *testing.T) {
			if n := table.NumRows(); n != 0 {
				t.Fatalf("NumRows = %d", n)
			}
			splitDir := saveOne(t, table, Options{})
			d := readArrowGo(t, filepath.Join(splitDir, "data-00000-of-00001.arrow"))
			if len(d.batches) != 0 || len(d.rows) != 0 {
				t.Errorf("batches %v, %d rows; want none", d.batches, len(d.rows))
			}
			if want := fieldsString(arrowSchema(table.Columns)); fieldsString(d.schema) != want {
				t.Errorf("schema\n%s\nwant\n%s", fieldsString(d.schema), want)
			}
			pq := filepath.Join(t.TempDir(), "hub")
			if err := SaveParquet(pq, []Split{{Name: "train", Table: table}}, Options{}); err != nil {
				t.Fatal(err)
			}
			p := readParquetGo(t, filepath.Join(pq, "data", "train-00000-of-00001.parquet"))
			if len(p.rows) != 0 || len(p.rowGroups) != 0 {
				t.Errorf("Parquet: row groups %v, %d rows; want none", p.rowGroups, len(p.rows))
			}
		})
	}
}

func TestSaveRefusesLists(t *testing.T) {
	good := func() Table { return listsTable(listsRows["train"]) }
	with := func(edit func(tb *Table)) Table {
		tb := good()
		for i := range tb.Columns {
			c := &tb.Columns[i]
			c.Strings, c.Float64s, c.Int64s, c.Offsets = slices.Clone(c.Strings), slices.Clone(c.Float64s), slices.Clone(c.Int64s), slices.Clone(c.Offsets)
		}
		edit(&tb)
		return tb
	}
	// Columns: 0 query, 1 pos, 2 neg, 3 pos_scores, 4 neg_scores, 5 labels,
	// 6 label. neg's offsets are [0 2 2 4].
	tests := []struct {
		name    string
		table   Table
		want    error
		wantMsg string
	}{
		{"offsets start above 0", with(func(tb *Table) { tb.Columns[2].Offsets[0] = 1 }), ErrBadOffsets, `column "neg": offsets start at 1, want 0`},
		{"offsets decrease", with(func(tb *Table) { tb.Columns[2].Offsets[2] = 1 }), ErrBadOffsets, `column "neg": row 1: offsets decrease from 2 to 1`},
		{"offsets end early", with(func(tb *Table) { tb.Columns[2].Offsets[3] = 3 }), ErrBadOffsets, `offsets end at 3, want 4, the number of values`},
		{"offsets end late", with(func(tb *Table) { tb.Columns[5].Offsets[3] = 8 }), ErrBadOffsets, `column "labels": offsets end at 8, want 7`},
		{"values without offsets", with(func(tb *Table) { tb.Columns[3].Offsets = nil }), ErrBadOffsets, `column "pos_scores": 5 values but no offsets`},
		{"one row too many", with(func(tb *Table) { tb.Columns[4].Offsets = append(tb.Columns[4].Offsets, 4) }), ErrColumnLength, `column "neg_scores" has 4 rows, column "query" has 3`},
		{"list shorter than a scalar column", with(func(tb *Table) {
			tb.Columns[1].Offsets, tb.Columns[1].Strings = tb.Columns[1].Offsets[:3], tb.Columns[1].Strings[:3]
		}), ErrColumnLength, `column "pos" has 2 rows, column "query" has 3`},
		{"offsets in a scalar column", with(func(tb *Table) { tb.Columns[6].Offsets = []int{0, 1, 2, 3} }), ErrColumnType, `column "label": type int64 but Offsets is set`},
		{"strings in a float list", with(func(tb *Table) { tb.Columns[3].Strings = []string{"a"} }), ErrColumnType, `type List(Value('float64')) but Strings is set`},
		{"ints in a string list", with(func(tb *Table) { tb.Columns[1].Int64s = []int64{1} }), ErrColumnType, ""},
		{"unknown type", with(func(tb *Table) { tb.Columns[1].Type = Type(6) }), ErrColumnType, ""},
		{"invalid UTF-8 in a list", with(func(tb *Table) { tb.Columns[2].Strings[3] = "\xed\xa0\x80" }), ErrInvalidUTF8, `column "neg" row 2 item 1: string is not valid UTF-8`},
		{"invalid UTF-8 after an empty list", with(func(tb *Table) { tb.Columns[1].Strings[1] = "a\xff" }), ErrInvalidUTF8, `column "pos" row 1 item 0`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			splits := []Split{{Name: "train", Table: tt.table}}
			for _, save := range []func(string, []Split, Options) error{Save, SaveParquet} {
				dir := filepath.Join(t.TempDir(), "out")
				err := save(dir, splits, Options{})
				if !errors.Is(err, tt.want) {
					t.Fatalf("error %v, want %v", err, tt.want)
				}
				if !strings.Contains(err.Error(), tt.wantMsg) {
					t.Errorf("error %q does not say %q", err, tt.wantMsg)
				}
				if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("refused save left %s: %v", dir, err)
				}
			}
		})
	}
}

// TestSaveListLimits lowers maxOffset to reach the int32 limits of one
// record batch: values of a list column, and bytes of a list's strings.
func TestSaveListLimits(t *testing.T) {
	defer func(m int) { maxOffset = m }(maxOffset)
	maxOffset = 5
	tests := []struct {
		name  string
		table Table
		opt   Options
		want  error
	}{
		{"6 floats in a batch", Table{Columns: []Column{listColumn("f", ListFloat64, [][]float64{{1, 2, 3}, {4, 5, 6}})}}, Options{}, ErrListTooLong},
		{"6 ints in a batch", Table{Columns: []Column{listColumn("i", ListInt64, [][]int64{{1, 2, 3, 4, 5, 6}})}}, Options{}, ErrListTooLong},
		{"6 strings in a batch", Table{Columns: []Column{listColumn("s", ListString, [][]string{{"", "", ""}, {"", "", ""}})}}, Options{}, ErrListTooLong},
		{"6 bytes of strings in a batch", Table{Columns: []Column{listColumn("s", ListString, [][]string{{"abc"}, {"def"}})}}, Options{}, ErrStringDataTooBig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "ds")
			err := Save(dir, []Split{{Name: "train", Table: tt.table}}, tt.opt)
			if !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), "rows 0 to 2") && !strings.Contains(err.Error(), "rows 0 to 1") {
				t.Errorf("error %q does not name the rows", err)
			}
			if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("failed save left %s: %v", dir, err)
			}
			// One row per batch stays under the limit.
			if err := Save(filepath.Join(t.TempDir(), "ds"), []Split{{Name: "train", Table: tt.table}}, Options{BatchRows: 1}); tt.table.NumRows() > 1 && err != nil {
				t.Errorf("batches of one row: %v", err)
			}
		})
	}
}

// TestSaveParquetListStatistics pins the statistics of list leaves where
// pqarrow gets them wrong (see writeParquetShard): when a write batch holds
// as many empty lists as values, pqarrow drops its min and max and marks
// the page as all nulls in the column index. pyarrow counts each empty list
// as one null, and so do we.
func TestSaveParquetListStatistics(t *testing.T) {
	const rows = 3000
	fs := make([][]float64, rows)
	is := make([][]int64, rows)
	ss := make([][]string, rows)
	for i := range rows {
		fs[i], is[i], ss[i] = []float64{}, []int64{}, []string{}
		if i%2 == 0 { // [x], [], [x], [], ...: values and empty lists alike
			fs[i] = []float64{float64(i)/4 + 1}
			is[i] = []int64{int64(i) - 1000}
			ss[i] = []string{fmt.Sprintf("%05d", i)}
		}
	}
	table := Table{Columns: []Column{
		listColumn("f", ListFloat64, fs),
		listColumn("i", ListInt64, is),
		listColumn("s", ListString, ss),
	}}
	dir := filepath.Join(t.TempDir(), "hub")
	if err := SaveParquet(dir, []Split{{Name: "train", Table: table}}, Options{BatchRows: 1500}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "data", "train-00000-of-00001.parquet")
	r, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	md := r.MetaData()
	if md.NumRowGroups() != 2 {
		t.Fatalf("%d row groups, want 2", md.NumRowGroups())
	}
	f64 := func(v float64) string {
		return hex.EncodeToString(binary.LittleEndian.AppendUint64(nil, math.Float64bits(v)))
	}
	i64 := func(v int64) string { return hex.EncodeToString(binary.LittleEndian.AppendUint64(nil, uint64(v))) }
	str := func(v string) string { return hex.EncodeToString([]byte(v)) }
	want := [][3][2]string{ // per row group, per column: min, max
		{{f64(1), f64(1498.0/4 + 1)}, {i64(-1000), i64(498)}, {str("00000"), str("01498")}},
		{{f64(1500.0/4 + 1), f64(2998.0/4 + 1)}, {i64(500), i64(1998)}, {str("01500"), str("02998")}},
	}
	for g := range md.NumRowGroups() {
		pi, err := r.GetPageIndexReader().RowGroup(g)
		if err != nil {
			t.Fatal(err)
		}
		for c := range 3 {
			cc, err := md.RowGroup(g).ColumnChunk(c)
			if err != nil {
				t.Fatal(err)
			}
			st, err := cc.Statistics()
			if err != nil || st == nil || !st.HasMinMax() {
				t.Errorf("row group %d column %d: statistics %v (%v), want min and max", g, c, st, err)
				continue
			}
			if got := [2]string{hex.EncodeToString(st.EncodeMin()), hex.EncodeToString(st.EncodeMax())}; got != want[g][c] {
				t.Errorf("row group %d column %d: min, max %v, want %v", g, c, got, want[g][c])
			}
			if st.NullCount() != 750 {
				t.Errorf("row group %d column %d: %d nulls, want 750 (one per empty list)", g, c, st.NullCount())
			}
			ci, err := pi.GetColumnIndex(c)
			if err != nil || ci == nil {
				t.Fatalf("row group %d column %d: no column index (%v)", g, c, err)
			}
			if slices.Contains(ci.GetNullPages(), true) {
				t.Errorf("row group %d column %d: null pages %v, but every page holds values", g, c, ci.GetNullPages())
			}
		}
	}
	if got := readParquetGo(t, path).rows; sameRows(got, tableRows(table)) != nil {
		t.Error(sameRows(got, tableRows(table)))
	}
}

// FuzzSaveLists builds list columns from raw offsets, valid or not, and
// checks that Save and SaveParquet either refuse them with ErrBadOffsets or
// write rows that read back as given, whatever the batch and shard sizes.
// Each byte of deltas is the length of one row's list, or makes the offsets
// decrease when it is 0xff; extra values added to the count make the
// offsets end early.
func FuzzSaveLists(f *testing.F) {
	f.Add([]byte{1, 0, 2, 13, 0, 0, 4}, uint8(2), uint16(200), uint8(0))
	f.Add([]byte{0, 0, 0}, uint8(1), uint16(0), uint8(0))
	f.Add([]byte{}, uint8(0), uint16(0), uint8(0))
	f.Add([]byte{3, 0xff, 2}, uint8(0), uint16(0), uint8(0))
	f.Add([]byte{1, 2, 3}, uint8(0), uint16(0), uint8(1))
	f.Add([]byte{40, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7}, uint8(3), uint16(90), uint8(0))
	f.Fuzz(func(t *testing.T, deltas []byte, batch uint8, shard uint16, extra uint8) {
		if len(deltas) > 64 {
			deltas = deltas[:64]
		}
		offsets := []int{0}
		valid := true
		for _, d := range deltas {
			next := offsets[len(offsets)-1] + int(d)
			if d == 0xff {
				next = offsets[len(offsets)-1] - 1
				valid = valid && next >= offsets[len(offsets)-1]
			}
			offsets = append(offsets, next)
		}
		n := max(offsets[len(offsets)-1], 0) + int(extra%4)
		valid = valid && extra%4 == 0
		ss, fs, is := make([]string, n), make([]float64, n), make([]int64, n)
		for k := range n {
			ss[k] = fmt.Sprintf("값%d", k)
			fs[k] = float64(k) / 3
			is[k] = int64(k) << 40
		}
		ids := make([]int64, len(deltas))
		for i := range ids {
			ids[i] = int64(i)
		}
		table := Table{Columns: []Column{
			{Name: "id", Type: Int64, Int64s: ids},
			{Name: "s", Type: ListString, Strings: ss, Offsets: offsets},
			{Name: "f", Type: ListFloat64, Float64s: fs, Offsets: slices.Clone(offsets)},
			{Name: "i", Type: ListInt64, Int64s: is, Offsets: slices.Clone(offsets)},
		}}
		opt := Options{BatchRows: int(batch), MaxShardBytes: int64(shard)}
		splits := []Split{{Name: "train", Table: table}}
		dir := t.TempDir()
		err := Save(filepath.Join(dir, "ds"), splits, opt)
		perr := SaveParquet(filepath.Join(dir, "hub"), splits, opt)
		if !valid {
			if !errors.Is(err, ErrBadOffsets) || !errors.Is(perr, ErrBadOffsets) {
				t.Fatalf("offsets %v over %d values: Save %v, SaveParquet %v; want ErrBadOffsets", offsets, n, err, perr)
			}
			return
		}
		if err != nil || perr != nil {
			t.Fatalf("offsets %v: Save %v, SaveParquet %v", offsets, err, perr)
		}
		want := tableRows(table)
		splitDir := filepath.Join(dir, "ds", "train")
		if _, _, rows := readSplitArrowGo(t, splitDir, dataFiles(t, splitDir)); sameRows(rows, want) != nil {
			t.Errorf("Arrow: %v", sameRows(rows, want))
		}
		var rows [][]any
		for _, p := range parquetFiles(t, filepath.Join(dir, "hub"), "train") {
			rows = append(rows, readParquetGo(t, p).rows...)
		}
		if err := sameRows(rows, want); err != nil {
			t.Errorf("Parquet: %v", err)
		}
	})
}

// TestSaveParquetLongLists writes more list values in one row group than
// writeParquetColumn hands the column writer at once, and one row longer
// than that on its own, and reads them back.
func TestSaveParquetLongLists(t *testing.T) {
	fs := [][]float64{{1}, make([]float64, parquetChunkLevels+5), {}}
	for k := range fs[1] {
		fs[1][k] = float64(k)
	}
	for i := range 1000 {
		row := make([]float64, 100)
		for k := range row {
			row[k] = -float64(i*100 + k)
		}
		fs = append(fs, row, []float64{})
	}
	table := Table{Columns: []Column{listColumn("f", ListFloat64, fs)}}
	dir := filepath.Join(t.TempDir(), "hub")
	if err := SaveParquet(dir, []Split{{Name: "train", Table: table}}, Options{}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "data", "train-00000-of-00001.parquet")
	p := readParquetGo(t, path)
	if !slices.Equal(p.rowGroups, []int{len(fs)}) {
		t.Errorf("row groups %v, want one of %d rows", p.rowGroups, len(fs))
	}
	if err := sameRows(p.rows, tableRows(table)); err != nil {
		t.Error(err)
	}
	r, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cc, err := r.MetaData().RowGroup(0).ColumnChunk(0)
	if err != nil {
		t.Fatal(err)
	}
	st, err := cc.Statistics()
	if err != nil || st == nil || !st.HasMinMax() || st.NullCount() != 1001 {
		t.Fatalf("statistics %v (%v), want min, max and 1001 nulls", st, err)
	}
	lo, hi := st.(*metadata.Float64Statistics).Min(), st.(*metadata.Float64Statistics).Max()
	if lo != -99_999 || hi != float64(parquetChunkLevels+4) {
		t.Errorf("min %v max %v, want -99999 and %d", lo, hi, parquetChunkLevels+4)
	}
}
