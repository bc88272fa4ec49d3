package scan

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/hardneg/hardneg/internal/kernel"
)

func randUnit(r *rand.Rand, rows, cols int) *Matrix {
	m := &Matrix{Rows: rows, Cols: cols, Data: make([]float32, rows*cols)}
	// A shared direction makes similarities spread over the bands.
	common := make([]float64, cols)
	for i := range common {
		common[i] = r.NormFloat64()
	}
	for i := range rows {
		row := m.Row(i)
		w := r.Float64() * 2
		var ss float64
		for j := range row {
			v := w*common[j] + r.NormFloat64()
			row[j] = float32(v)
			ss += v * v
		}
		for j := range row {
			row[j] = float32(float64(row[j]) / math.Sqrt(ss))
		}
	}
	return m
}

// bruteForce is the scan written without blocking, tiles, threads or
// sample bookkeeping: every similarity, every rule in the documented order,
// every band, a full sort.
func bruteForce(A, B *Matrix, q Query, opt Options) []Result {
	out := make([]Result, len(q.Anchors))
	inf := float32(math.Inf(1))
	for i, a := range q.Anchors {
		var r Result
		if !opt.WindowOnly {
			r.Counts = make([]int64, len(opt.Bands))
			r.Picks = make([][]Pick, len(opt.Bands))
		}
		var all []Pick
		scores := map[int32]float64{}
		for c := 0; c < B.Rows; c++ {
			if slices.Contains(q.Exclude[i], int32(c)) {
				continue
			}
			s := Dot(A.Row(int(a)), B.Row(c))
			if opt.NearDuplicates > 0 {
				dup := false
				for _, p := range q.Positives[i] {
					if float64(Dot(B.Row(int(p)), B.Row(c))) >= opt.NearDuplicates {
						dup = true
					}
				}
				if dup {
					r.NearDuplicates++
					continue
				}
			}
			b := -1
			if !opt.WindowOnly {
				b = BandOf(opt.Bands, float64(s))
			}
			counted := opt.WindowOnly || b >= 0
			if q.Ceilings != nil && q.Ceilings[i] != inf && s > q.Ceilings[i] {
				if counted {
					r.AboveCeiling++
				}
				continue
			}
			if q.Floors != nil && q.Floors[i] != -inf && s < q.Floors[i] {
				if counted {
					r.BelowFloor++
				}
				continue
			}
			id := uint64(c)
			if opt.CandidateIDs != nil {
				id = opt.CandidateIDs[c]
			}
			p := Pick{Row: int32(c), Sim: s, Key: Key(q.Seeds[i], id)}
			all = append(all, p)
			if opt.Sampling == SimANS && !opt.WindowOnly {
				scores[p.Row] = SimANSScore(p.Key, s, q.Centers[i], opt.SimANSA)
			}
			if b < 0 {
				continue
			}
			r.Counts[b]++
			r.Picks[b] = append(r.Picks[b], p)
		}
		for b := range r.Picks {
			switch opt.Sampling {
			case Random:
				slices.SortFunc(r.Picks[b], CompareKeys)
			case Top:
				slices.SortFunc(r.Picks[b], CompareTop)
			case SimANS:
				slices.SortFunc(r.Picks[b], func(x, y Pick) int {
					return compareScored(scores[x.Row], x, scores[y.Row], y)
				})
			}
			r.Picks[b] = r.Picks[b][:min(len(r.Picks[b]), opt.Keep)]
			if len(r.Picks[b]) == 0 {
				r.Picks[b] = nil
			}
		}
		if opt.Window > 0 {
			slices.SortFunc(all, CompareTop)
			if len(all) > 0 {
				r.Window = all[:min(len(all), opt.Window)]
			}
		}
		out[i] = r
	}
	return out
}

func makeQuery(r *rand.Rand, nAnchors, aRows, bRows int) Query {
	q := Query{}
	for i := range nAnchors {
		a := int32(r.IntN(aRows))
		q.Anchors = append(q.Anchors, a)
		ex := []int32{}
		if int(a) < bRows {
			ex = append(ex, a)
		}
		for range r.IntN(4) {
			ex = append(ex, int32(r.IntN(bRows)))
		}
		q.Exclude = append(q.Exclude, ex)
		q.Seeds = append(q.Seeds, Mix(uint64(i)))
	}
	return q
}

func equalResults(t *testing.T, got, want []Result) {
	t.Helper()
	if d := diffResults(got, want); d != "" {
		t.Fatal(d)
	}
}

// diffResults describes the first difference between two scans' results,
// or returns "" when they are the same.
func diffResults(got, want []Result) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d results, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.AboveCeiling != w.AboveCeiling || g.BelowFloor != w.BelowFloor || g.NearDuplicates != w.NearDuplicates {
			return fmt.Sprintf("anchor %d: %d above the ceiling, %d below the floor, %d near-duplicates; want %d, %d, %d",
				i, g.AboveCeiling, g.BelowFloor, g.NearDuplicates, w.AboveCeiling, w.BelowFloor, w.NearDuplicates)
		}
		if !slices.Equal(g.Window, w.Window) {
			return fmt.Sprintf("anchor %d: window %v, want %v", i, g.Window, w.Window)
		}
		if !slices.Equal(g.Counts, w.Counts) {
			return fmt.Sprintf("anchor %d: counts %v, want %v", i, g.Counts, w.Counts)
		}
		if len(g.Picks) != len(w.Picks) {
			return fmt.Sprintf("anchor %d: picks for %d bands, want %d", i, len(g.Picks), len(w.Picks))
		}
		for b := range w.Picks {
			if !slices.Equal(g.Picks[b], w.Picks[b]) {
				return fmt.Sprintf("anchor %d band %d: picks %v, want %v", i, b, g.Picks[b], w.Picks[b])
			}
		}
	}
	return ""
}

var testBands = []Band{{0.3, 0.5}, {0.5, 0.7}, {0.7, 0.9}}

// TestScanMatchesBruteForce covers odd sizes (partial anchor blocks and
// candidate tiles), exclusions, candidate ids, and two matrices of different
// lengths.
func TestScanMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for _, tc := range []struct {
		name                        string
		anchors, aRows, bRows, dims int
		keep                        int
		ids                         bool
	}{
		{"tiny", 3, 10, 10, 4, 5, false},
		{"partial blocks", 70, 300, 300, 17, 5, false},
		{"two matrices", 65, 80, 517, 9, 3, true},
		{"keep zero", 10, 50, 50, 8, 0, false},
		{"keep many", 5, 40, 260, 8, 100, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			A := randUnit(r, tc.aRows, tc.dims)
			B := A
			if tc.bRows != tc.aRows {
				B = randUnit(r, tc.bRows, tc.dims)
			}
			q := makeQuery(r, tc.anchors, tc.aRows, tc.bRows)
			opt := Options{Bands: testBands, Keep: tc.keep, Threads: 1}
			if tc.ids {
				for c := range tc.bRows {
					opt.CandidateIDs = append(opt.CandidateIDs, Mix(uint64(c)+99))
				}
			}
			want := bruteForce(A, B, q, opt)
			for _, path := range paths {
				for _, threads := range []int{1, 2, 3} {
					opt.Threads, opt.Exact = threads, path.exact
					got, err := Scan(context.Background(), A, B, q, opt)
					if err != nil {
						t.Fatal(err)
					}
					equalResults(t, got, want)
				}
			}
			var total int64
			for _, res := range want {
				for _, c := range res.Counts {
					total += c
				}
			}
			if total == 0 {
				t.Fatal("no candidate fell in any band: the test data exercises nothing")
			}
		})
	}
}

// TestThresholdIsExact checks the float32 band edges against float64
// comparisons at and around each edge.
func TestThresholdIsExact(t *testing.T) {
	for _, x := range []float64{0.3, 0.5, 0.7, 0.9, 0, -0.25, 1, 0.1 + 0.2, float64(float32(0.7)), math.Nextafter(float64(float32(0.7)), 1)} {
		th := Threshold(x)
		if float64(th) < x {
			t.Errorf("Threshold(%v) = %v is below x", x, th)
		}
		below := math.Nextafter32(th, float32(math.Inf(-1)))
		if float64(below) >= x {
			t.Errorf("Threshold(%v) = %v is not the smallest: %v also reaches x", x, th, below)
		}
	}
}

// TestBoundaryValuesLandInUpperBand puts similarities exactly on and next to
// band edges and checks that the scan labels them as BandOf does: [lo, hi).
func TestBoundaryValuesLandInUpperBand(t *testing.T) {
	bands := []Band{{0.25, 0.5}, {0.5, 0.75}}
	// Anchor (1, 0): a candidate (s, sqrt(1-s²)) has similarity exactly s
	// when s is a dyadic fraction.
	sims := []float32{0.25, 0.5, 0.75, math.Nextafter32(0.5, 0), math.Nextafter32(0.75, 0), math.Nextafter32(0.25, 0), 0.375}
	wantBand := []int{0, 1, -1, 0, 1, -1, 0}
	B := &Matrix{Rows: len(sims) + 1, Cols: 2}
	B.Data = append(B.Data, 1, 0)
	for _, s := range sims {
		B.Data = append(B.Data, s, 0) // second column zero keeps the dot product exact
	}
	q := Query{Anchors: []int32{0}, Exclude: [][]int32{{0}}, Seeds: []uint64{1}}
	res, err := Scan(context.Background(), B, B, q, Options{Bands: bands, Keep: 10})
	if err != nil {
		t.Fatal(err)
	}
	got := map[int32]int{}
	for b, picks := range res[0].Picks {
		for _, p := range picks {
			got[p.Row] = b
		}
	}
	for i, s := range sims {
		w, ok := got[int32(i+1)]
		if !ok {
			w = -1
		}
		if w != wantBand[i] || BandOf(bands, float64(s)) != wantBand[i] {
			t.Errorf("similarity %v: scan band %d, BandOf %d, want %d", s, w, BandOf(bands, float64(s)), wantBand[i])
		}
	}
}

func TestScanRefusesBadQueries(t *testing.T) {
	m := &Matrix{Rows: 2, Cols: 2, Data: []float32{1, 0, 0, 1}}
	other := &Matrix{Rows: 1, Cols: 3, Data: []float32{1, 0, 0}}
	good := Query{Anchors: []int32{0}, Exclude: [][]int32{{0}}, Seeds: []uint64{1}}
	for _, tc := range []struct {
		name string
		A, B *Matrix
		q    Query
		opt  Options
		want error
	}{
		{"column mismatch", m, other, good, Options{Bands: testBands}, ErrQuery},
		{"anchor out of range", m, m, Query{Anchors: []int32{5}, Exclude: [][]int32{nil}, Seeds: []uint64{1}}, Options{Bands: testBands}, ErrQuery},
		{"exclusion out of range", m, m, Query{Anchors: []int32{0}, Exclude: [][]int32{{9}}, Seeds: []uint64{1}}, Options{Bands: testBands}, ErrQuery},
		{"missing seeds", m, m, Query{Anchors: []int32{0}, Exclude: [][]int32{nil}}, Options{Bands: testBands}, ErrQuery},
		{"no bands", m, m, good, Options{}, ErrBands},
		{"overlapping bands", m, m, good, Options{Bands: []Band{{0.3, 0.6}, {0.5, 0.7}}}, ErrBands},
		{"empty band", m, m, good, Options{Bands: []Band{{0.5, 0.5}}}, ErrBands},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Scan(context.Background(), tc.A, tc.B, tc.q, tc.opt); !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
		})
	}
}

func TestScanStopsOnCancel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	m := randUnit(r, 200, 8)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Scan(ctx, m, m, makeQuery(r, 100, 200, 200), Options{Bands: testBands, Keep: 5, Threads: 2})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
}

// TestKeysSampleUniformly checks that bottom-k keeps every candidate of a
// band with the same probability: over many seeds, each of 20 candidates is
// picked about keep/20 of the time.
func TestKeysSampleUniformly(t *testing.T) {
	const n, keep, trials = 20, 5, 4000
	hits := make([]int, n)
	for s := range trials {
		acc := newBottomK(keep)
		for c := range n {
			p := Pick{Row: int32(c), Key: Key(Mix(uint64(s)), uint64(c))}
			if acc.below(0, p) {
				acc.offer(0, p, false)
			}
		}
		for _, p := range acc.picks {
			hits[p.Row]++
		}
	}
	want := float64(trials) * keep / n // 1000
	for c, h := range hits {
		if math.Abs(float64(h)-want) > 5*math.Sqrt(want) {
			t.Errorf("candidate %d picked %d times, want about %.0f", c, h, want)
		}
	}
}

func BenchmarkScan(b *testing.B) {
	for _, sz := range []struct{ anchors, rows, dims int }{{256, 4096, 128}, {256, 16384, 256}} {
		b.Run(fmt.Sprintf("%dx%dx%d", sz.anchors, sz.rows, sz.dims), func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 2))
			m := randUnit(r, sz.rows, sz.dims)
			q := makeQuery(r, sz.anchors, sz.rows, sz.rows)
			opt := Options{Bands: testBands, Keep: 5}
			b.ResetTimer()
			for range b.N {
				if _, err := Scan(context.Background(), m, m, q, opt); err != nil {
					b.Fatal(err)
				}
			}
			flops := 2 * float64(sz.anchors) * float64(sz.rows) * float64(sz.dims) * float64(b.N)
			b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			b.ReportMetric(float64(sz.anchors)*float64(b.N)/b.Elapsed().Seconds(), "anchors/s")
		})
	}
}

// BenchmarkScanSeedDims scans at the real data's dimension, with enough
// anchors to use full blocks, and reports the scan's GFLOP/s on all cores.
func BenchmarkScanSeedDims(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	const anchors, rows, dims = 1024, 32768, 1024
	m := randUnit(r, rows, dims)
	q := makeQuery(r, anchors, rows, rows)
	opt := Options{Bands: testBands, Keep: 5}
	b.ResetTimer()
	for range b.N {
		if _, err := Scan(context.Background(), m, m, q, opt); err != nil {
			b.Fatal(err)
		}
	}
	flops := 2 * float64(anchors) * float64(rows) * float64(dims) * float64(b.N)
	b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// TestPathsGiveSameResults scans the same data with the assembly kernels
// and with pure Go, in one binary, and wants identical counts and picks.
func TestPathsGiveSameResults(t *testing.T) {
	if !kernel.Accelerated() {
		t.Skip("no assembly kernel on this CPU or build")
	}
	r := rand.New(rand.NewPCG(11, 11))
	m := randUnit(r, 700, 40)
	q := makeQuery(r, 90, 700, 700)
	opt := Options{Bands: testBands, Keep: 5, Threads: 2}
	best, err := Scan(context.Background(), m, m, q, opt)
	if err != nil {
		t.Fatal(err)
	}
	kernel.ForceGeneric(true)
	defer kernel.ForceGeneric(false)
	generic, err := Scan(context.Background(), m, m, q, opt)
	if err != nil {
		t.Fatal(err)
	}
	equalResults(t, best, generic)
}

// TestHalfMatrixMatchesItsFloatValues scans half-precision matrices and
// compares with the brute force over their exact float32 values.
func TestHalfMatrixMatchesItsFloatValues(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 21))
	f := randUnit(r, 300, 37)
	half := &Matrix{Rows: f.Rows, Cols: f.Cols, Half: make([]uint16, len(f.Data))}
	kernel.FloatToHalf(half.Half, f.Data)
	exact := &Matrix{Rows: f.Rows, Cols: f.Cols, Data: make([]float32, len(f.Data))}
	kernel.HalfToFloat(exact.Data, half.Half)
	q := makeQuery(r, 70, 300, 300)
	for _, path := range paths {
		opt := Options{Bands: testBands, Keep: 5, Threads: 2, Exact: path.exact}
		got, err := Scan(context.Background(), half, half, q, opt)
		if err != nil {
			t.Fatal(err)
		}
		equalResults(t, got, bruteForce(exact, exact, q, opt))
		// and a half-precision candidate matrix beside float32 anchors
		got, err = Scan(context.Background(), exact, half, q, opt)
		if err != nil {
			t.Fatal(err)
		}
		equalResults(t, got, bruteForce(exact, exact, q, opt))
	}
}

// TestSimilarityMatchesTheScan checks that Similarity gives the bits the
// scan gave its picks, for float32 and half-precision matrices.
func TestSimilarityMatchesTheScan(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 31))
	f := randUnit(r, 400, 33)
	half := &Matrix{Rows: f.Rows, Cols: f.Cols, Half: make([]uint16, len(f.Data))}
	kernel.FloatToHalf(half.Half, f.Data)
	q := makeQuery(r, 40, 400, 400)
	for k, m := range []*Matrix{f, half, f, half} {
		res, err := Scan(context.Background(), m, m, q, Options{Bands: testBands, Keep: 5, Exact: k >= 2})
		if err != nil {
			t.Fatal(err)
		}
		checked := 0
		for i, rr := range res {
			for _, picks := range rr.Picks {
				for _, p := range picks {
					if got := Similarity(m, int(q.Anchors[i]), m, int(p.Row)); math.Float32bits(got) != math.Float32bits(p.Sim) {
						t.Fatalf("Similarity = %v, the scan gave %v", got, p.Sim)
					}
					checked++
				}
			}
		}
		if checked == 0 {
			t.Fatal("no picks to check")
		}
	}
}

// TestCeilingsMatchBruteForce gives anchors positive-aware ceilings (some
// none) and compares counts, samples and the dropped counts.
func TestCeilingsMatchBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 41))
	m := randUnit(r, 500, 24)
	q := makeQuery(r, 80, 500, 500)
	for i := range q.Anchors {
		c := float32(math.Inf(1))
		if i%3 != 0 {
			c = float32(0.4 + 0.5*r.Float64())
		}
		q.Ceilings = append(q.Ceilings, c)
	}
	opt := Options{Bands: testBands, Keep: 5, Threads: 2}
	want := bruteForce(m, m, q, opt)
	for _, path := range paths {
		opt.Exact = path.exact
		got, err := Scan(context.Background(), m, m, q, opt)
		if err != nil {
			t.Fatal(err)
		}
		equalResults(t, got, want)
	}
	var dropped int64
	for _, w := range want {
		dropped += w.AboveCeiling
	}
	if dropped == 0 {
		t.Fatal("the ceilings dropped nothing: the test exercises nothing")
	}
}

// withNearCopies makes every fifth row of m a slightly perturbed copy of the
// row before it, so that near-duplicates exist.
func withNearCopies(r *rand.Rand, m *Matrix) *Matrix {
	for i := 1; i < m.Rows; i += 5 {
		src, dst := m.Row(i-1), m.Row(i)
		for k := range dst {
			dst[k] = src[k] + float32(0.02*r.NormFloat64()/math.Sqrt(float64(m.Cols)))
		}
		if err := Normalize(dst); err != nil {
			panic(err)
		}
	}
	return m
}

// fullQuery adds positives, near-duplicate floors, score limits and SimANS
// centers to a query: the positives are the rows just before some
// anchors' near-copies, so near-duplicates of them exist.
func fullQuery(r *rand.Rand, A, B *Matrix, q Query, nd float64) Query {
	for i, a := range q.Anchors {
		var pos []int32
		for range 1 + r.IntN(3) {
			pos = append(pos, int32(r.IntN(B.Rows/5))*5)
		}
		q.Positives = append(q.Positives, pos)
		q.Exclude[i] = append(q.Exclude[i], pos...)
		floor := float32(math.Inf(1))
		low := float32(math.Inf(1))
		for _, p := range pos {
			s := Dot(A.Row(int(a)), B.Row(int(p)))
			floor = min(floor, NearDuplicateFloor(s, nd))
			low = min(low, s)
		}
		q.NearDupFloors = append(q.NearDupFloors, floor)
		q.Centers = append(q.Centers, float64(low)+0.05)
		ceil, fl := float32(math.Inf(1)), float32(math.Inf(-1))
		if i%3 == 1 {
			ceil = AtMost(0.4 + 0.5*r.Float64())
		}
		if i%4 == 2 {
			fl = Threshold(0.1 + 0.3*r.Float64())
		}
		q.Ceilings = append(q.Ceilings, ceil)
		q.Floors = append(q.Floors, fl)
	}
	return q
}

// TestEveryModeMatchesBruteForce runs each sampling, with and without a
// rank window, with near-duplicates and score limits, on one and several
// threads and on half-precision data, against the brute force.
func TestEveryModeMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 51))
	A := randUnit(r, 120, 20)
	B := withNearCopies(r, randUnit(r, 611, 20))
	base := makeQuery(r, 70, A.Rows, B.Rows)
	const nd = 0.97
	q := fullQuery(r, A, B, base, nd)
	for _, tc := range []struct {
		name string
		opt  Options
	}{
		{"random", Options{Bands: testBands, Keep: 4}},
		{"top", Options{Bands: testBands, Keep: 4, Sampling: Top}},
		{"simans", Options{Bands: testBands, Keep: 4, Sampling: SimANS, SimANSA: 30}},
		{"simans flat", Options{Bands: testBands, Keep: 4, Sampling: SimANS, SimANSA: 0.5}},
		{"random and window", Options{Bands: testBands, Keep: 6, Window: 9}},
		{"top and window", Options{Bands: testBands, Keep: 6, Sampling: Top, Window: 9}},
		{"window only", Options{Window: 25, WindowOnly: true}},
		{"window beyond the corpus", Options{Window: 700, WindowOnly: true}},
		{"one wide band", Options{Bands: []Band{{-2, 2}}, Keep: 3, Sampling: Top}},
	} {
		for _, nearDup := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/neardup=%v", tc.name, nearDup), func(t *testing.T) {
				opt := tc.opt
				if nearDup {
					opt.NearDuplicates = nd
				}
				want := bruteForce(A, B, q, opt)
				for _, path := range paths {
					for _, threads := range []int{1, 3} {
						opt.Threads, opt.Exact = threads, path.exact
						got, err := Scan(context.Background(), A, B, q, opt)
						if err != nil {
							t.Fatal(err)
						}
						equalResults(t, got, want)
					}
				}
				var nds, limited int64
				for _, w := range want {
					nds += w.NearDuplicates
					limited += w.AboveCeiling + w.BelowFloor
				}
				if nearDup && nds == 0 {
					t.Fatal("no near-duplicate was dropped: the test exercises nothing")
				}
				if limited == 0 {
					t.Fatal("the limits dropped nothing: the test exercises nothing")
				}
			})
		}
	}
}

// TestNearDuplicateFloorIsSafe checks the triangle bound on random unit
// vectors: whenever a candidate is a near-duplicate of the positive, its
// similarity to the anchor is above the floor.
func TestNearDuplicateFloorIsSafe(t *testing.T) {
	r := rand.New(rand.NewPCG(61, 61))
	m := withNearCopies(r, randUnit(r, 2000, 12))
	checked := 0
	for trial := range 20000 {
		a, p, c := r.IntN(m.Rows), r.IntN(m.Rows/5)*5, 0
		c = p + 1 + trial%2*r.IntN(3)
		if c >= m.Rows {
			continue
		}
		for _, th := range []float64{0.9, 0.95, 0.99} {
			if float64(Dot(m.Row(p), m.Row(c))) < th {
				continue
			}
			checked++
			floor := NearDuplicateFloor(Dot(m.Row(a), m.Row(p)), th)
			if s := Dot(m.Row(a), m.Row(c)); s < floor {
				t.Fatalf("anchor %d, positive %d, near-duplicate %d: similarity %v below the floor %v", a, p, c, s, floor)
			}
		}
	}
	if checked < 1000 {
		t.Fatalf("only %d near-duplicate cases checked", checked)
	}
}

// TestAtMostIsExact checks AtMost against float64 comparisons around
// several values.
func TestAtMostIsExact(t *testing.T) {
	for _, x := range []float64{0.3, 0.5, 0.7, -0.2, 1, 0.1 + 0.2, 1e-9} {
		c := AtMost(x)
		if float64(c) > x {
			t.Errorf("AtMost(%v) = %v is above it", x, c)
		}
		if next := math.Nextafter32(c, 2); float64(next) <= x {
			t.Errorf("AtMost(%v) = %v, but %v is also at most x", x, c, next)
		}
	}
}

// TestSimANSScoreOrdersByWeight checks the sampler's distribution: with a
// large a, the sampled candidates crowd near the center.
func TestSimANSScoreOrdersByWeight(t *testing.T) {
	const trials = 3000
	near, far := 0, 0
	for s := range trials {
		best, bestScore := -1, math.Inf(1)
		for c := range 2 {
			sim := float32(0.5) // near the center 0.5
			if c == 1 {
				sim = 0.8
			}
			score := SimANSScore(Key(Mix(uint64(s)), uint64(c)), sim, 0.5, 10)
			if score < bestScore {
				best, bestScore = c, score
			}
		}
		if best == 0 {
			near++
		} else {
			far++
		}
	}
	// weights 1 and exp(-10·0.09) = 0.41: the near one wins 1/1.41 = 71% of the time
	if got := float64(near) / trials; math.Abs(got-1/(1+math.Exp(-0.9))) > 0.03 {
		t.Fatalf("the near candidate won %.3f of the draws, want about %.3f", got, 1/(1+math.Exp(-0.9)))
	}
	if simANSKeyLimit(math.Inf(1)) != math.MaxUint32 || simANSKeyLimit(math.Inf(-1)) > 2 {
		t.Fatal("simANSKeyLimit at the extremes")
	}
}

// TestChunksAndShardsMatchOneScan feeds the corpus in chunks of random
// sizes, in a random order, and also splits it into parts scanned apart
// and merged with MergeResults: every mode gives the one-scan result.
func TestChunksAndShardsMatchOneScan(t *testing.T) {
	r := rand.New(rand.NewPCG(71, 71))
	A := randUnit(r, 90, 20)
	B := withNearCopies(r, randUnit(r, 733, 20))
	const nd = 0.97
	q := fullQuery(r, A, B, makeQuery(r, 60, A.Rows, B.Rows), nd)
	pos := map[int32][]float32{}
	for _, ps := range q.Positives {
		for _, p := range ps {
			pos[p] = B.Row(int(p))
		}
	}
	slice := func(lo, hi int) *Matrix {
		return &Matrix{Rows: hi - lo, Cols: B.Cols, Data: B.Data[lo*B.Cols : hi*B.Cols]}
	}
	for _, opt := range []Options{
		{Bands: testBands, Keep: 4, NearDuplicates: nd},
		{Bands: testBands, Keep: 4, Sampling: Top, Window: 7},
		{Bands: testBands, Keep: 3, Sampling: SimANS, SimANSA: 25},
		{Window: 30, WindowOnly: true, NearDuplicates: nd},
		{Bands: testBands, Keep: 4, NearDuplicates: nd, Exact: true},
		{Bands: testBands, Keep: 4, Sampling: Top, Window: 7, Exact: true},
		{Bands: testBands, Keep: 3, Sampling: SimANS, SimANSA: 25, Exact: true},
		{Window: 30, WindowOnly: true, NearDuplicates: nd, Exact: true},
	} {
		// The exact whole scan is the reference for both paths.
		ref := opt
		ref.Exact = true
		want, err := Scan(context.Background(), A, B, q, ref)
		if err != nil {
			t.Fatal(err)
		}
		// chunks in a random order
		var cuts []int
		for c := 0; c < B.Rows; c += 1 + r.IntN(150) {
			cuts = append(cuts, c)
		}
		cuts = append(cuts, B.Rows)
		order := r.Perm(len(cuts) - 1)
		s, err := NewScanner(A, B.Rows, q, opt, pos)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range order {
			if err := s.Feed(context.Background(), slice(cuts[k], cuts[k+1]), cuts[k]); err != nil {
				t.Fatal(err)
			}
		}
		equalResults(t, s.Results(), want)
		// three parts scanned apart, then merged
		parts := []int{0, 200, 517, B.Rows}
		var merged []Result
		for k := range 3 {
			p, err := NewScanner(A, B.Rows, q, opt, pos)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Feed(context.Background(), slice(parts[k], parts[k+1]), parts[k]); err != nil {
				t.Fatal(err)
			}
			res := p.Results()
			if merged == nil {
				merged = res
				continue
			}
			for i := range merged {
				merged[i] = MergeResults(merged[i], res[i], opt, q.Centers[i])
			}
		}
		equalResults(t, merged, want)
	}
}

// TestBlockBounds wants blocks that cover the anchors in order, hold at
// most maxAnchorBlock anchors each, come in a multiple of the threads when
// there are enough panels, and differ in size by at most a panel: the
// workers wait for each other after every corpus part, so a short last
// block leaves a core idle.
func TestBlockBounds(t *testing.T) {
	for _, threads := range []int{1, 2, 3, 8} {
		for _, anchors := range []int{0, 1, 15, 16, 17, 100, 257, 3924, 27467, 100000} {
			b := blockBounds(anchors, threads)
			n := len(b) - 1
			if b[0] != 0 || b[n] != anchors {
				t.Fatalf("%d anchors, %d threads: bounds %v do not cover them", anchors, threads, b)
			}
			lo, hi := anchors, 0
			for i := range n {
				size := b[i+1] - b[i]
				if size <= 0 || size > maxAnchorBlock || (i < n-1 && size%kernel.PanelRows != 0) {
					t.Fatalf("%d anchors, %d threads: block %d holds %d anchors", anchors, threads, i, size)
				}
				lo, hi = min(lo, size), max(hi, size)
			}
			panels := (anchors + kernel.PanelRows - 1) / kernel.PanelRows
			if anchors > 0 && n%threads != 0 && n != panels {
				t.Errorf("%d anchors, %d threads: %d blocks", anchors, threads, n)
			}
			if anchors > 0 && hi-lo > kernel.PanelRows {
				t.Errorf("%d anchors, %d threads: blocks of %d to %d anchors", anchors, threads, lo, hi)
			}
		}
	}
}
