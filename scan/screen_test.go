package scan

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/hardneg/hardneg/internal/kernel"
)

// TestMain forces the screen on wherever Options.Exact is off, so that the
// pure-Go build (-tags noasm), where a scan would not screen by itself,
// tests the screened path too.
func TestMain(m *testing.M) {
	ForceScreen(true)
	os.Exit(m.Run())
}

// paths are the scan's two ways to the same results: screened, and every
// similarity in float32.
var paths = []struct {
	name  string
	exact bool
}{{"screened", false}, {"exact", true}}

// edgeRows makes rows whose similarities sit on the default band edges:
// each row has ones in 10 of 20 columns spread over cols, so the cosine of
// two rows is their overlap over 10, and an odd overlap puts it on 0.3,
// 0.5, 0.7 or 0.9. Noise of about noise moves each similarity to either
// side of its edge, far less than the screen's bound.
func edgeRows(r *rand.Rand, rows, cols int, noise float64) *Matrix {
	pool := r.Perm(cols)[:20]
	m := &Matrix{Rows: rows, Cols: cols, Data: make([]float32, rows*cols)}
	for i := range rows {
		row := m.Row(i)
		for _, k := range r.Perm(len(pool))[:10] {
			row[pool[k]] = 1
		}
		for k := range row {
			row[k] += float32(noise * r.NormFloat64())
		}
		if err := Normalize(row); err != nil {
			panic(err)
		}
	}
	return m
}

// edgeQuery gives anchors positives (excluded, for near-duplicates and
// SimANS; unit rows of B from row 20 on, which the near-duplicate floor
// assumes) and limits on the edges: ceilings at 0.7 or 0.5, floors at 0.3 or
// 0.5, so that the limits see as many pairs on their thresholds as the
// bands do.
func edgeQuery(r *rand.Rand, A, B *Matrix, q Query, nd float64) Query {
	inf := float32(math.Inf(1))
	for i, a := range q.Anchors {
		pos := []int32{int32(20 + r.IntN(B.Rows-20))}
		q.Positives = append(q.Positives, pos)
		q.Exclude[i] = append(q.Exclude[i], pos...)
		s := Dot(A.Row(int(a)), B.Row(int(pos[0])))
		ndFloor := NearDuplicateFloor(s, nd)
		if i%7 == 0 {
			ndFloor = float32(math.Inf(-1)) // every candidate checked
		}
		q.NearDupFloors = append(q.NearDupFloors, ndFloor)
		q.Centers = append(q.Centers, float64(s)+0.05)
		ceil, floor := inf, -inf
		switch i % 4 {
		case 1:
			ceil = AtMost(0.7)
		case 2:
			floor = Threshold(0.3)
		case 3:
			ceil, floor = AtMost(0.5), Threshold(0.5)
		}
		q.Ceilings = append(q.Ceilings, ceil)
		q.Floors = append(q.Floors, floor)
	}
	return q
}

// edgeModes are the scan's modes, each with the near-duplicate check.
func edgeModes(nd float64) []struct {
	name string
	opt  Options
} {
	return []struct {
		name string
		opt  Options
	}{
		{"random", Options{Bands: testBands, Keep: 4, NearDuplicates: nd}},
		{"top", Options{Bands: testBands, Keep: 4, Sampling: Top, NearDuplicates: nd}},
		{"simans", Options{Bands: testBands, Keep: 4, Sampling: SimANS, SimANSA: 30, NearDuplicates: nd}},
		{"random and window", Options{Bands: testBands, Keep: 6, Window: 9, NearDuplicates: nd}},
		{"window only", Options{Window: 25, WindowOnly: true, NearDuplicates: nd}},
		{"gapped bands", Options{Bands: []Band{{0.3, 0.5}, {0.7, 0.9}}, Keep: 3}},
		{"one wide band", Options{Bands: []Band{{-2, 2}}, Keep: 3, Sampling: Top}},
	}
}

// scanWithStats scans as Scan does and also returns the screen's counts.
func scanWithStats(t *testing.T, A, B *Matrix, q Query, opt Options) ([]Result, ScreenStats) {
	t.Helper()
	pos := map[int32][]float32{}
	for _, ps := range q.Positives {
		for _, p := range ps {
			pos[p] = B.Row32(int(p))
		}
	}
	s, err := NewScanner(A, B.Rows, q, opt, pos)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Feed(context.Background(), B, 0); err != nil {
		t.Fatal(err)
	}
	return s.Results(), s.ScreenStats()
}

// edgeData is a data set with many pairs on the edges, and rows the screen
// cannot bound: an anchor and a candidate of norm 2^25, and a zero
// candidate.
func edgeData(seed uint64) (A, B *Matrix, q Query) {
	r := rand.New(rand.NewPCG(seed, seed))
	all := edgeRows(r, 1000, 130, 1e-6)
	A = all.rowRange(0, 300)
	B = all.rowRange(300, 1000)
	for _, row := range [][]float32{A.Row(5), B.Row(11)} {
		for k := range row {
			row[k] *= 0x1p25
		}
	}
	clear(B.Row(12))
	q = makeQuery(r, 290, A.Rows, B.Rows)
	q.Anchors[3] = 5
	return A, B, q
}

// TestScreenOnTheEdges scans data whose similarities sit on the band edges
// and the limits within far less than the screen's bound, in every mode,
// screened and exact, and wants the brute force's results from both: every
// such pair must be re-checked, and is.
func TestScreenOnTheEdges(t *testing.T) {
	A, B, q := edgeData(81)
	q = edgeQuery(rand.New(rand.NewPCG(1, 81)), A, B, q, 0.9)
	for _, tc := range edgeModes(0.9) {
		t.Run(tc.name, func(t *testing.T) {
			want := bruteForce(A, B, q, tc.opt)
			onEdge := 0
			for _, i := range []int{0, 1, 2} {
				for c := range B.Rows {
					s := Dot(A.Row(int(q.Anchors[i])), B.Row(c))
					for _, e := range []float64{0.3, 0.5, 0.7} {
						if math.Abs(float64(s)-e) < 1e-5 {
							onEdge++
						}
					}
				}
			}
			if onEdge < B.Rows/4 {
				t.Fatalf("only %d of 3 anchors' %d similarities sit on an edge: the data tests nothing", onEdge, 3*B.Rows)
			}
			for _, path := range paths {
				for _, threads := range []int{1, 3} {
					opt := tc.opt
					opt.Threads, opt.Exact = threads, path.exact
					got, st := scanWithStats(t, A, B, q, opt)
					if d := diffResults(got, want); d != "" {
						t.Fatalf("%s, %d threads: %s", path.name, threads, d)
					}
					if st.On == path.exact {
						t.Fatalf("%s: the screen is %v", path.name, st.On)
					}
					if !path.exact && st.Rechecked < int64(onEdge) {
						t.Fatalf("%d pairs re-checked, fewer than the %d on an edge of 3 anchors", st.Rechecked, onEdge)
					}
				}
			}
		})
	}
}

// TestScreenWithoutTheBound shows that the edge test above catches a screen
// whose bound is violated: with a bound of 0, the screen decides the pairs
// on the edges from their int16 similarity, and the results differ from
// the exact ones.
func TestScreenWithoutTheBound(t *testing.T) {
	A, B, q := edgeData(82)
	q = edgeQuery(rand.New(rand.NewPCG(1, 82)), A, B, q, 0.9)
	boundHook = func(float32) float32 { return 0 }
	defer func() { boundHook = nil }()
	for _, tc := range edgeModes(0.9) {
		t.Run(tc.name, func(t *testing.T) {
			if tc.opt.Bands != nil && tc.opt.Bands[0].Lo == -2 {
				t.Skip("no edge within reach of a similarity")
			}
			got, _ := scanWithStats(t, A, B, q, tc.opt)
			if diffResults(got, bruteForce(A, B, q, tc.opt)) == "" {
				t.Fatal("a screen without its bound gave the exact results: the identity tests could not catch a violated bound")
			}
		})
	}
}

// TestScreenSimANSOverflow samples SimANS with settings whose scores
// overflow to +Inf or NaN (a huge b, or a huge a): the exact path then
// orders the candidates by key and row, and the screen must not leave out
// a candidate by comparing an infinite score.
func TestScreenSimANSOverflow(t *testing.T) {
	A, B, q := edgeData(84)
	q = edgeQuery(rand.New(rand.NewPCG(1, 84)), A, B, q, 0.9)
	for _, tc := range []struct {
		name   string
		a      float64
		center float64
	}{
		{"huge b", 30, 1e200},
		{"a of 0, huge b", 0, 1e200},
		{"huge a", 1.7e308, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := q
			q.Centers = make([]float64, len(q.Anchors))
			for i := range q.Centers {
				q.Centers[i] = tc.center
			}
			opt := Options{Bands: testBands, Keep: 4, Sampling: SimANS, SimANSA: tc.a}
			var want []Result
			for _, path := range paths {
				opt.Exact = path.exact
				got, _ := scanWithStats(t, A, B, q, opt)
				if want == nil {
					want = got
					continue
				}
				if d := diffResults(got, want); d != "" {
					t.Fatalf("screened and exact differ: %s", d)
				}
			}
		})
	}
}

// TestScreenHalfPrecision screens a half-precision corpus, whose rows the
// screen quantises from their float32 values.
func TestScreenHalfPrecision(t *testing.T) {
	A, B, q := edgeData(83)
	copy(B.Row(11), B.Row(10)) // within half precision's range
	half := &Matrix{Rows: B.Rows, Cols: B.Cols, Half: make([]uint16, len(B.Data))}
	kernel.FloatToHalf(half.Half, B.Data)
	exact := &Matrix{Rows: B.Rows, Cols: B.Cols, Data: make([]float32, len(B.Data))}
	kernel.HalfToFloat(exact.Data, half.Half)
	q = edgeQuery(rand.New(rand.NewPCG(1, 83)), A, exact, q, 0.9)
	for _, tc := range edgeModes(0.9) {
		want := bruteForce(A, exact, q, tc.opt)
		for _, path := range paths {
			opt := tc.opt
			opt.Exact = path.exact
			got, st := scanWithStats(t, A, half, q, opt)
			if d := diffResults(got, want); d != "" {
				t.Fatalf("%s, %s: %s", tc.name, path.name, d)
			}
			if st.On == path.exact || !path.exact && st.Rechecked == 0 {
				t.Fatalf("%s, %s: screen %+v", tc.name, path.name, st)
			}
		}
	}
}

// TestScreenDecidesMost checks that on spread-out data the screen leaves
// few pairs to re-check, and counts every pair it screened.
func TestScreenDecidesMost(t *testing.T) {
	r := rand.New(rand.NewPCG(84, 84))
	m := randUnit(r, 3000, 256)
	q := makeQuery(r, 200, m.Rows, m.Rows)
	opt := Options{Bands: testBands, Keep: 1}
	got, st := scanWithStats(t, m, m, q, opt)
	equalResults(t, got, bruteForce(m, m, q, opt))
	if want := int64(len(q.Anchors) * m.Rows); st.Pairs != want {
		t.Fatalf("%d pairs screened, want %d", st.Pairs, want)
	}
	share := float64(st.Rechecked) / float64(st.Pairs)
	t.Logf("re-checked %d of %d pairs (%.3f%%)", st.Rechecked, st.Pairs, 100*share)
	if st.Rechecked == 0 || share > 0.02 {
		t.Fatalf("re-checked %.2f%% of the pairs; the screen should decide all but a few", 100*share)
	}
}

// TestScreenInParts screens a Feed in many parts of quantised rows, and
// wants the whole Feed's results and every anchor's progress reported
// once.
func TestScreenInParts(t *testing.T) {
	A, B, q := edgeData(85)
	q = edgeQuery(rand.New(rand.NewPCG(1, 85)), A, B, q, 0.9)
	saved := screenPartBytes
	screenPartBytes = 60 * (2*B.Cols + 24) // parts of 60 rows
	defer func() { screenPartBytes = saved }()
	for _, tc := range edgeModes(0.9)[:4] {
		opt := tc.opt
		var done int
		opt.Progress = func(n int) { done += n }
		opt.Threads = 1
		got, _ := scanWithStats(t, A, B, q, opt)
		if d := diffResults(got, bruteForce(A, B, q, tc.opt)); d != "" {
			t.Fatalf("%s: %s", tc.name, d)
		}
		if done != len(q.Anchors) {
			t.Fatalf("%s: progress reported %d anchors, want %d", tc.name, done, len(q.Anchors))
		}
	}
}

// TestScreenPolicy checks when a scan screens by itself.
func TestScreenPolicy(t *testing.T) {
	ForceScreen(false)
	defer ForceScreen(true)
	many := make([]Band, maxScreenBands+1)
	for b := range many {
		many[b] = Band{float64(b), float64(b) + 1}
	}
	for _, tc := range []struct {
		opt  Options
		want bool
	}{
		{Options{Bands: testBands}, kernel.Accelerated()},
		{Options{Bands: testBands, Exact: true}, false},
		{Options{Window: 3, WindowOnly: true}, kernel.Accelerated()},
		{Options{Bands: many}, false},
	} {
		if got := screens(tc.opt); got != tc.want {
			t.Errorf("%d bands, exact %v, window only %v: screens %v, want %v", len(tc.opt.Bands), tc.opt.Exact, tc.opt.WindowOnly, got, tc.want)
		}
	}
	ForceScreen(true)
	if !screens(Options{Bands: many}) || screens(Options{Bands: many, Exact: true}) {
		t.Error("ForceScreen does not force the screen, or overrides Exact")
	}
}

// BenchmarkScanScreen scans 2,048 anchors against 16,384 candidates at the
// seed data's dimension, screened and exact: compare the two with
// 'benchstat -col /path'. GFLOP/s counts 2·D per pair on both paths.
func BenchmarkScanScreen(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	const anchors, rows, dims = 2048, 16384, 1024
	m := randUnit(r, rows, dims)
	q := makeQuery(r, anchors, rows, rows)
	for _, path := range paths {
		b.Run("path="+path.name, func(b *testing.B) {
			opt := Options{Bands: testBands, Keep: 5, Exact: path.exact}
			for range b.N {
				if _, err := Scan(context.Background(), m, m, q, opt); err != nil {
					b.Fatal(err)
				}
			}
			flops := 2 * float64(anchors) * float64(rows) * float64(dims) * float64(b.N)
			b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
