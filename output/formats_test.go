package output

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"

	"github.com/hardneg/hardneg/hfds"
)

// tinyRows is two anchors as the pipeline makes them: 야당 with two
// positives sharing the negatives 야수 and 조짐, and 사천면 whose pools gave
// one negative only. The view is shuffled so that no group is contiguous.
func tinyRows() Rows {
	return Rows{
		Triplets: []Triplet{
			{0, 1, 3, 0.5, 1},
			{0, 1, 4, 0.25, 0},
			{0, 2, 3, 0.5, 1},
			{0, 2, 4, 0.25, 0},
			{5, 6, 7, 0.75, 2},
		},
		Order: []int{3, 4, 0, 2, 1},
		Terms: []string{"야당", "야당정치인", "정당", "야수", "조짐", "사천면", "사천", `a"b`},
		Bands: []string{"easy", "medium", "hard"},
	}
}

// tinyPos is the positives' similarities of tinyRows; 0.9 shows a float32
// spelled as Python spells its float64.
func tinyPos(a, p int32) float32 {
	switch [2]int32{a, p} {
	case [2]int32{0, 1}:
		return 0.875
	case [2]int32{0, 2}:
		return 0.625
	case [2]int32{5, 6}:
		return 0.9
	}
	panic(fmt.Sprintf("no positive similarity for (%d, %d)", a, p))
}

func TestGroupByPair(t *testing.T) {
	for _, tc := range []struct {
		name  string
		order []int
		want  []Group
	}{
		{"shuffled", []int{3, 4, 0, 2, 1}, []Group{{0, 2, []int{3, 2}}, {5, 6, []int{4}}, {0, 1, []int{0, 1}}}},
		{"pipeline order", []int{0, 1, 2, 3, 4}, []Group{{0, 1, []int{0, 1}}, {0, 2, []int{2, 3}}, {5, 6, []int{4}}}},
		{"part of a split", []int{1, 4, 3}, []Group{{0, 1, []int{1}}, {5, 6, []int{4}}, {0, 2, []int{3}}}},
		{"empty", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tinyRows()
			r.Order = tc.order
			got := GroupByPair(r)
			if len(got) == 0 && len(tc.want) == 0 {
				return
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestMakeNTuplesErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		k    int
		want error
	}{
		{"k zero", 0, ErrNegativesPerAnchor},
		{"k negative", -1, ErrNegativesPerAnchor},
		{"k below a group's negatives", 1, ErrTooManyNegatives},
		{"k fits", 2, nil},
		{"k above every group", 3, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := MakeNTuples(tinyRows(), tc.k)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestMakeNTuplesDropsShortTuples(t *testing.T) {
	for _, tc := range []struct {
		name        string
		k           int
		kept, drops int
	}{
		{"k=2", 2, 2, 1},
		{"k=3", 3, 0, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nt, err := MakeNTuples(tinyRows(), tc.k)
			if err != nil {
				t.Fatal(err)
			}
			if nt.Len() != tc.kept || nt.Dropped != tc.drops {
				t.Fatalf("kept %d, dropped %d; want %d, %d", nt.Len(), nt.Dropped, tc.kept, tc.drops)
			}
		})
	}
}

func TestNTupleJSONLGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		pos  PositiveSim
		want string
	}{
		{"plain", nil,
			`{"anchor": "야당", "positive": "정당", "negative_1": "조짐", "negative_2": "야수"}` + "\n" +
				`{"anchor": "야당", "positive": "야당정치인", "negative_1": "야수", "negative_2": "조짐"}` + "\n"},
		{"scores", tinyPos,
			`{"anchor": "야당", "positive": "정당", "negative_1": "조짐", "negative_2": "야수", "score": [0.625, 0.25, 0.5]}` + "\n" +
				`{"anchor": "야당", "positive": "야당정치인", "negative_1": "야수", "negative_2": "조짐", "score": [0.875, 0.5, 0.25]}` + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nt, err := MakeNTuples(tinyRows(), 2)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := WriteNTupleJSONL(&buf, nt, tc.pos); err != nil {
				t.Fatal(err)
			}
			if buf.String() != tc.want {
				t.Fatalf("got\n%s\nwant\n%s", buf.String(), tc.want)
			}
			for _, line := range lines(t, buf.String()) {
				if got, want := objectKeys(t, line), NTupleColumns(2, tc.pos != nil); !slices.Equal(got, want) {
					t.Fatalf("keys %v, want %v", got, want)
				}
			}
		})
	}
}

func TestFlagEmbeddingJSONLGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		pos  PositiveSim
		want string
	}{
		{"plain", nil,
			`{"query": "야당", "pos": ["정당", "야당정치인"], "neg": ["조짐", "야수"]}` + "\n" +
				`{"query": "사천면", "pos": ["사천"], "neg": ["a\"b"]}` + "\n"},
		{"scores", tinyPos,
			`{"query": "야당", "pos": ["정당", "야당정치인"], "neg": ["조짐", "야수"], "pos_scores": [0.625, 0.875], "neg_scores": [0.25, 0.5]}` + "\n" +
				`{"query": "사천면", "pos": ["사천"], "neg": ["a\"b"], "pos_scores": [0.8999999761581421], "neg_scores": [0.75]}` + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteFlagEmbeddingJSONL(&buf, tinyRows(), tc.pos); err != nil {
				t.Fatal(err)
			}
			if buf.String() != tc.want {
				t.Fatalf("got\n%s\nwant\n%s", buf.String(), tc.want)
			}
		})
	}
}

func TestTripletJSONLWithScoresGolden(t *testing.T) {
	r := tinyRows()
	r.Order = []int{4, 1}
	var buf bytes.Buffer
	if err := WriteJSONLWithScores(&buf, r, tinyPos); err != nil {
		t.Fatal(err)
	}
	want := `{"anchor": "사천면", "positive": "사천", "negative": "a\"b", "negative_similarity": 0.75, "difficulty": "hard", "positive_similarity": 0.8999999761581421}` + "\n" +
		`{"anchor": "야당", "positive": "야당정치인", "negative": "조짐", "negative_similarity": 0.25, "difficulty": "easy", "positive_similarity": 0.875}` + "\n"
	if buf.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", buf.String(), want)
	}
	for _, line := range lines(t, buf.String()) {
		if got := objectKeys(t, line); !slices.Equal(got, TripletColumnsWithScores) {
			t.Fatalf("keys %v, want %v", got, TripletColumnsWithScores)
		}
	}

	// Without scores it is the notebook's file, byte for byte.
	var plain, nilPos bytes.Buffer
	if err := WriteJSONL(&plain, r); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSONLWithScores(&nilPos, r, nil); err != nil {
		t.Fatal(err)
	}
	if plain.String() != nilPos.String() {
		t.Fatalf("nil scores: got\n%s\nwant\n%s", nilPos.String(), plain.String())
	}
}

// TestFormatsReadBack checks every format, read back with encoding/json,
// against a plain recomputation from the triplets, over random pipeline-like
// data split by row the way split.ByRow does (so groups are scattered and
// short in each split).
func TestFormatsReadBack(t *testing.T) {
	for _, tc := range []struct{ anchors, k int }{
		{300, 4},
		{40, linearDistinct + 8}, // past the linear search in appendDistinct
	} {
		t.Run(fmt.Sprintf("k=%d", tc.k), func(t *testing.T) { testFormatsReadBack(t, tc.anchors, tc.k) })
	}
}

func testFormatsReadBack(t *testing.T, anchors, k int) {
	r, pos := randomRows(rand.New(rand.NewPCG(1, uint64(k))), anchors, k)
	rng := rand.New(rand.NewPCG(3, 4))
	order := rng.Perm(len(r.Triplets))
	cut := len(order) * 9 / 10
	for _, view := range []struct {
		name  string
		order []int
	}{
		{"all, pipeline order", seq(len(r.Triplets))},
		{"train", order[:cut]},
		{"validation", order[cut:]},
	} {
		t.Run(view.name, func(t *testing.T) {
			v := r
			v.Order = view.order
			want := naiveGroups(v)

			nt, err := MakeNTuples(v, k)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := WriteNTupleJSONL(&buf, nt, pos); err != nil {
				t.Fatal(err)
			}
			var got []map[string]any
			for _, line := range lines(t, buf.String()) {
				got = append(got, decode(t, line))
			}
			checkNTuples(t, v, want, k, nt.Dropped, got, pos)

			buf.Reset()
			if err := WriteFlagEmbeddingJSONL(&buf, v, pos); err != nil {
				t.Fatal(err)
			}
			got = got[:0]
			for _, line := range lines(t, buf.String()) {
				got = append(got, decode(t, line))
			}
			checkFlagEmbedding(t, v, want, got, pos)

			buf.Reset()
			if err := WriteJSONLWithScores(&buf, v, pos); err != nil {
				t.Fatal(err)
			}
			ls := lines(t, buf.String())
			if len(ls) != v.Len() {
				t.Fatalf("triplets: %d lines, want %d", len(ls), v.Len())
			}
			for k, line := range ls {
				tr := v.Triplets[v.Order[k]]
				m := decode(t, line)
				if m["anchor"] != v.Terms[tr.Anchor] || m["positive"] != v.Terms[tr.Positive] ||
					m["negative"] != v.Terms[tr.Negative] ||
					m["negative_similarity"] != float64(tr.Sim) ||
					m["positive_similarity"] != float64(pos(tr.Anchor, tr.Positive)) {
					t.Fatalf("triplet line %d = %v, want %+v", k, m, tr)
				}
			}
		})
	}
}

// naiveGroup is an (anchor, positive) pair with its rows, found by a
// linear search over the view.
type naiveGroup struct {
	anchor, positive int32
	rows             []int
}

func naiveGroups(r Rows) []naiveGroup {
	var gs []naiveGroup
next:
	for _, i := range r.Order {
		tr := r.Triplets[i]
		for g := range gs {
			if gs[g].anchor == tr.Anchor && gs[g].positive == tr.Positive {
				gs[g].rows = append(gs[g].rows, i)
				continue next
			}
		}
		gs = append(gs, naiveGroup{tr.Anchor, tr.Positive, []int{i}})
	}
	return gs
}

func checkNTuples(t *testing.T, r Rows, groups []naiveGroup, k, dropped int, got []map[string]any, pos PositiveSim) {
	t.Helper()
	var want []map[string]any
	wantDropped := 0
	for _, g := range groups {
		if len(g.rows) < k {
			wantDropped++
			continue
		}
		m := map[string]any{"anchor": r.Terms[g.anchor], "positive": r.Terms[g.positive]}
		score := []any{float64(pos(g.anchor, g.positive))}
		for j, i := range g.rows {
			m["negative_"+strconv.Itoa(j+1)] = r.Terms[r.Triplets[i].Negative]
			score = append(score, float64(r.Triplets[i].Sim))
		}
		m["score"] = score
		want = append(want, m)
	}
	if dropped != wantDropped {
		t.Errorf("n-tuples: dropped %d, want %d", dropped, wantDropped)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("n-tuples: got %d tuples, want %d\nfirst got  %v\nfirst want %v", len(got), len(want), first(got), first(want))
	}
}

func checkFlagEmbedding(t *testing.T, r Rows, groups []naiveGroup, got []map[string]any, pos PositiveSim) {
	t.Helper()
	var want []map[string]any
	byAnchor := map[string]map[string]any{}
	for _, g := range groups {
		a := r.Terms[g.anchor]
		m, ok := byAnchor[a]
		if !ok {
			m = map[string]any{"query": a, "pos": []any{}, "neg": []any{}, "pos_scores": []any{}, "neg_scores": []any{}}
			byAnchor[a] = m
			want = append(want, m)
		}
		m["pos"] = append(m["pos"].([]any), r.Terms[g.positive])
		m["pos_scores"] = append(m["pos_scores"].([]any), float64(pos(g.anchor, g.positive)))
		for _, i := range g.rows {
			n := r.Terms[r.Triplets[i].Negative]
			if !slices.Contains(m["neg"].([]any), any(n)) {
				m["neg"] = append(m["neg"].([]any), n)
				m["neg_scores"] = append(m["neg_scores"].([]any), float64(r.Triplets[i].Sim))
			}
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("flagembedding: got %d records, want %d\nfirst got  %v\nfirst want %v", len(got), len(want), first(got), first(want))
	}
}

// randomRows makes triplets the way mine.Run does: per anchor, every
// positive times the same negatives, some anchors with fewer than k. It
// returns the positives' similarities with them.
func randomRows(rng *rand.Rand, anchors, k int) (Rows, PositiveSim) {
	var r Rows
	r.Bands = []string{"easy", "medium", "hard"}
	term := func() int32 {
		r.Terms = append(r.Terms, "t"+strconv.Itoa(len(r.Terms))+"\t\"")
		return int32(len(r.Terms) - 1)
	}
	posSim := map[[2]int32]float32{}
	for range anchors {
		a := term()
		ps := make([]int32, 1+rng.IntN(4))
		for j := range ps {
			ps[j] = term()
			posSim[[2]int32{a, ps[j]}] = rng.Float32()
		}
		nn := k
		if rng.IntN(5) == 0 {
			nn = 1 + rng.IntN(k)
		}
		negs := make([]int32, nn)
		sims := make([]float32, nn)
		for j := range negs {
			negs[j], sims[j] = term(), rng.Float32()*2-1
		}
		for _, p := range ps {
			for j, n := range negs {
				r.Triplets = append(r.Triplets, Triplet{a, p, n, sims[j], int8(rng.IntN(3))})
			}
		}
	}
	return r, func(a, p int32) float32 {
		s, ok := posSim[[2]int32{a, p}]
		if !ok {
			panic("not a positive")
		}
		return s
	}
}

func TestNTupleTable(t *testing.T) {
	nt, err := MakeNTuples(tinyRows(), 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		pos   PositiveSim
		names []string
		types []hfds.Type
	}{
		{"plain", nil,
			[]string{"anchor", "positive", "negative_1", "negative_2"},
			[]hfds.Type{hfds.String, hfds.String, hfds.String, hfds.String}},
		{"scores", tinyPos,
			[]string{"anchor", "positive", "negative_1", "negative_2", "positive_similarity", "negative_1_similarity", "negative_2_similarity"},
			[]hfds.Type{hfds.String, hfds.String, hfds.String, hfds.String, hfds.Float64, hfds.Float64, hfds.Float64}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tab := NTupleTable(nt, tc.pos)
			checkColumns(t, tab, tc.names, tc.types, 2)
			c := tab.Columns
			if !slices.Equal(c[0].Strings, []string{"야당", "야당"}) ||
				!slices.Equal(c[1].Strings, []string{"정당", "야당정치인"}) ||
				!slices.Equal(c[2].Strings, []string{"조짐", "야수"}) ||
				!slices.Equal(c[3].Strings, []string{"야수", "조짐"}) {
				t.Fatalf("strings %v", c[:4])
			}
			if tc.pos != nil &&
				(!slices.Equal(c[4].Float64s, []float64{0.625, 0.875}) ||
					!slices.Equal(c[5].Float64s, []float64{0.25, 0.5}) ||
					!slices.Equal(c[6].Float64s, []float64{0.5, 0.25})) {
				t.Fatalf("scores %v", c[4:])
			}
		})
	}
}

func TestTableWithScores(t *testing.T) {
	r := tinyRows()
	tab := TableWithScores(r, tinyPos)
	checkColumns(t, tab, TripletColumnsWithScores,
		[]hfds.Type{hfds.String, hfds.String, hfds.String, hfds.Float64, hfds.String, hfds.Float64}, r.Len())
	want := []float64{0.625, float64(float32(0.9)), 0.875, 0.625, 0.875}
	if got := tab.Columns[5].Float64s; !slices.Equal(got, want) {
		t.Fatalf("positive_similarity %v, want %v", got, want)
	}
	if !reflect.DeepEqual(TableWithScores(r, nil), Table(r)) {
		t.Fatal("nil scores: table differs from Table")
	}
	if !reflect.DeepEqual(tab.Columns[:5], Table(r).Columns) {
		t.Fatal("the notebook's five columns changed")
	}
}

func checkColumns(t *testing.T, tab hfds.Table, names []string, types []hfds.Type, rows int) {
	t.Helper()
	var gotNames []string
	var gotTypes []hfds.Type
	for _, c := range tab.Columns {
		gotNames, gotTypes = append(gotNames, c.Name), append(gotTypes, c.Type)
		n := len(c.Strings) + len(c.Float64s) + len(c.Int64s)
		if n != rows {
			t.Errorf("column %q: %d values, want %d", c.Name, n, rows)
		}
	}
	if !slices.Equal(gotNames, names) || !slices.Equal(gotTypes, types) {
		t.Fatalf("columns %v %v, want %v %v", gotNames, gotTypes, names, types)
	}
}

// TestNTupleTableSaves writes the n-tuple table with hfds.Save and reads the
// shard back with arrow-go's IPC stream reader.
func TestNTupleTableSaves(t *testing.T) {
	nt, err := MakeNTuples(tinyRows(), 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		pos    PositiveSim
		schema string
		rows   [][]any
	}{
		{"plain", nil,
			"anchor: utf8\npositive: utf8\nnegative_1: utf8\nnegative_2: utf8\n",
			[][]any{{"야당", "정당", "조짐", "야수"}, {"야당", "야당정치인", "야수", "조짐"}}},
		{"scores", tinyPos,
			"anchor: utf8\npositive: utf8\nnegative_1: utf8\nnegative_2: utf8\n" +
				"positive_similarity: float64\nnegative_1_similarity: float64\nnegative_2_similarity: float64\n",
			[][]any{
				{"야당", "정당", "조짐", "야수", 0.625, 0.25, 0.5},
				{"야당", "야당정치인", "야수", "조짐", 0.875, 0.5, 0.25},
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "ntuple_dataset")
			if err := hfds.Save(dir, []hfds.Split{{Name: "train", Table: NTupleTable(nt, tc.pos)}}, hfds.Options{}); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(filepath.Join(dir, "train", "data-00000-of-00001.arrow"))
			if err != nil {
				t.Fatal(err)
			}
			rd, err := ipc.NewReader(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			defer rd.Release()
			var schema strings.Builder
			for _, f := range rd.Schema().Fields() {
				fmt.Fprintf(&schema, "%s: %s\n", f.Name, f.Type)
			}
			if schema.String() != tc.schema {
				t.Fatalf("schema\n%s\nwant\n%s", schema.String(), tc.schema)
			}
			if !rd.Schema().HasMetadata() {
				t.Error("no huggingface schema metadata")
			}
			var rows [][]any
			for rd.Next() {
				rec := rd.RecordBatch()
				for i := range int(rec.NumRows()) {
					var row []any
					for _, col := range rec.Columns() {
						switch a := col.(type) {
						case *array.String:
							row = append(row, a.Value(i))
						case *array.Float64:
							row = append(row, a.Value(i))
						default:
							t.Fatalf("column type %s", col.DataType())
						}
					}
					rows = append(rows, row)
				}
			}
			if err := rd.Err(); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(rows, tc.rows) {
				t.Fatalf("rows %v, want %v", rows, tc.rows)
			}
			if rd.Schema().Field(0).Type.ID() != arrow.STRING {
				t.Fatalf("anchor is %s, want utf8 (Value(\"string\"))", rd.Schema().Field(0).Type)
			}
		})
	}
}

func lines(t *testing.T, s string) []string {
	t.Helper()
	if s == "" {
		return nil
	}
	if !strings.HasSuffix(s, "\n") {
		t.Fatalf("output does not end in a newline: %q", s)
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

func decode(t *testing.T, line string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		t.Fatalf("line %q is not JSON: %v", line, err)
	}
	return m
}

// objectKeys returns the keys of the JSON object in line, in order.
func objectKeys(t *testing.T, line string) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(line))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("line %q: not an object: %v", line, err)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
	}
	return keys
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

func first(ms []map[string]any) map[string]any {
	if len(ms) == 0 {
		return nil
	}
	return ms[0]
}
