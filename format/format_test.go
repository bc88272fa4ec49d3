package format

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"

	"github.com/hardneg/hardneg/hfds"
)

func TestParseSpellings(t *testing.T) {
	for in, want := range map[string]Name{
		"triplet": Triplet, "n-tuple": NTuple, "ntuple": NTuple, "N_Tuple": NTuple,
		"labeled-pair": LabeledPair, "labeled_pair": LabeledPair, "labeled-list": LabeledList,
		"flagembedding": FlagEmbedding, "flag-embedding": FlagEmbedding,
	} {
		if got, err := Parse(in); err != nil || got != want {
			t.Errorf("Parse(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := Parse("csv"); err == nil {
		t.Error("Parse accepted csv")
	}
	for n, spec := range specs {
		if spec.Name != n || Lookup(n) != spec || spec.Dataset == "" || spec.TrainJSONL == spec.ValJSONL {
			t.Errorf("spec of %s: %+v", n, spec)
		}
	}
}

// TestWriteJSONL pins the JSONL spelling of every column type: Python's
// json.dumps separators, escapes and float repr, lists, empty lists.
func TestWriteJSONL(t *testing.T) {
	tbl := hfds.Table{Columns: []hfds.Column{
		{Name: "anchor", Type: hfds.String, Strings: []string{"야당", "a\"b\n"}},
		{Name: "s", Type: hfds.Float64, Float64s: []float64{0.5, float64(float32(0.7))}},
		{Name: "label", Type: hfds.Int64, Int64s: []int64{1, 0}},
		{Name: "neg", Type: hfds.ListString, Strings: []string{"x", "y"}, Offsets: []int{0, 2, 2}},
		{Name: "scores", Type: hfds.ListFloat64, Float64s: []float64{1, 1e-05}, Offsets: []int{0, 0, 2}},
		{Name: "labels", Type: hfds.ListInt64, Int64s: []int64{1, 0, 0}, Offsets: []int{0, 3, 3}},
	}}
	var b bytes.Buffer
	if err := WriteJSONL(&b, tbl); err != nil {
		t.Fatal(err)
	}
	want := `{"anchor": "야당", "s": 0.5, "label": 1, "neg": ["x", "y"], "scores": [], "labels": [1, 0, 0]}
{"anchor": "a\"b\n", "s": 0.699999988079071, "label": 0, "neg": [], "scores": [1.0, 1e-05], "labels": []}
`
	if b.String() != want {
		t.Fatalf("JSONL:\n%s\nwant:\n%s", b.String(), want)
	}
	for _, line := range bytes.Split(bytes.TrimSpace(b.Bytes()), []byte("\n")) {
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("%s does not read back: %v", line, err)
		}
	}
}

// TestGroupedTables builds every format from one small view: the n-tuple
// keeps only full groups, the labeled formats label positives 1 and
// negatives 0, and FlagEmbedding gathers an anchor's positives.
func TestGroupedTables(t *testing.T) {
	texts := []string{"q", "p1", "p2", "n1", "n2", "n3"}
	rows := []Row{
		{Anchor: 0, Positive: 1, Negative: 3, Sim: 0.5}, {Anchor: 0, Positive: 1, Negative: 4, Sim: 0.4},
		{Anchor: 0, Positive: 2, Negative: 3, Sim: 0.5}, {Anchor: 0, Positive: 2, Negative: 4, Sim: 0.4},
		{Anchor: 1, Positive: 0, Negative: 5, Sim: 0.3},
	}
	v := View{Rows: rows, Order: []int{0, 1, 2, 3, 4}, Queries: stringItems(texts), Corpus: stringItems(texts), Bands: []string{"all"},
		PositiveSim: func(a, p int32) float32 { return 0.9 }}
	col := func(tbl hfds.Table, name string) hfds.Column {
		for _, c := range tbl.Columns {
			if c.Name == name {
				return c
			}
		}
		t.Fatalf("no column %s", name)
		return hfds.Column{}
	}
	nt, dropped := Lookup(NTuple).Table(v, Options{K: 2})
	if nt.NumRows() != 2 || dropped != 1 || !slices.Equal(col(nt, "negative_2").Strings, []string{"n2", "n2"}) {
		t.Errorf("n-tuples: %d rows, %d dropped, %v", nt.NumRows(), dropped, nt.Columns)
	}
	lp, _ := Lookup(LabeledPair).Table(v, Options{})
	if got := col(lp, "label").Int64s; !slices.Equal(got, []int64{1, 1, 0, 0, 1, 0}) {
		t.Errorf("labeled pairs: labels %v", got)
	}
	ll, _ := Lookup(LabeledList).Table(v, Options{WithScores: true})
	if got := col(ll, "texts"); !slices.Equal(got.Strings[:3], []string{"p1", "n1", "n2"}) || ll.NumRows() != 3 {
		t.Errorf("labeled lists: %v", got)
	}
	fe, _ := Lookup(FlagEmbedding).Table(v, Options{})
	if got := col(fe, "pos"); fe.NumRows() != 2 || !slices.Equal(got.Strings[:2], []string{"p1", "p2"}) || got.Offsets[1] != 2 {
		t.Errorf("flagembedding pos %v", got)
	}
}

// TestGroupsKeepTheChosenOrder shuffles a view and wants every grouped
// format to list an anchor's negatives, and its positives, in the order of
// View.Rows (the order they were chosen: most similar first for top
// sampling, as sentence-transformers lists them), while the groups
// themselves follow the shuffled order.
func TestGroupsKeepTheChosenOrder(t *testing.T) {
	texts := []string{"q0", "q1", "p1", "p2", "n1", "n2", "n3", "n4"}
	var rows []Row
	for _, pos := range []int32{3, 2} { // the qrels order: p2 before p1
		for i, neg := range []int32{6, 4, 7} { // chosen most similar first
			rows = append(rows, Row{Anchor: 0, Positive: pos, Negative: neg, Sim: 0.9 - 0.1*float32(i)})
		}
	}
	rows = append(rows, Row{Anchor: 1, Positive: 2, Negative: 5, Sim: 0.5}, Row{Anchor: 1, Positive: 2, Negative: 4, Sim: 0.4})
	v := View{Rows: rows, Order: []int{7, 4, 0, 6, 5, 2, 3, 1}, Queries: stringItems(texts), Corpus: stringItems(texts), Bands: []string{"all"}}
	col := func(tbl hfds.Table, name string) hfds.Column {
		for _, c := range tbl.Columns {
			if c.Name == name {
				return c
			}
		}
		t.Fatalf("no column %s", name)
		return hfds.Column{}
	}
	list := func(c hfds.Column, row int) []string { return c.Strings[c.Offsets[row]:c.Offsets[row+1]] }

	nt, _ := Lookup(NTuple).Table(v, Options{K: 3})
	got := [][]string{col(nt, "anchor").Strings, col(nt, "positive").Strings, col(nt, "negative_1").Strings, col(nt, "negative_2").Strings, col(nt, "negative_3").Strings}
	if want := [][]string{{"q0", "q0"}, {"p1", "p2"}, {"n3", "n3"}, {"n1", "n1"}, {"n4", "n4"}}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("n-tuples: %v, want %v", got, want)
	}
	ll, _ := Lookup(LabeledList).Table(v, Options{})
	if got := list(col(ll, "texts"), 2); !slices.Equal(got, []string{"p2", "n3", "n1", "n4"}) {
		t.Errorf("labeled list of (q0, p2): %v, want the positive, then the negatives as chosen", got)
	}
	fe, _ := Lookup(FlagEmbedding).Table(v, Options{})
	if pos, neg := list(col(fe, "pos"), 1), list(col(fe, "neg"), 1); !slices.Equal(pos, []string{"p2", "p1"}) || !slices.Equal(neg, []string{"n3", "n1", "n4"}) {
		t.Errorf("flagembedding q0: pos %v, neg %v, want [p2 p1] and [n3 n1 n4]", pos, neg)
	}
	lp, _ := Lookup(LabeledPair).Table(v, Options{})
	if got := col(lp, "text").Strings; !slices.Equal(got[:3], []string{"p1", "n2", "n1"}) || !slices.Equal(got[3:], []string{"p2", "p1", "n3", "n1", "n4"}) {
		t.Errorf("labeled pairs: %v", got)
	}
}

// stringItems are items whose ids are their texts.
type stringItems []string

func (s stringItems) ID(row int32) string   { return s[row] }
func (s stringItems) Text(row int32) string { return s[row] }
