package inspect

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hardneg/hardneg/mine"
	"github.com/hardneg/hardneg/npy"
	"github.com/hardneg/hardneg/scan"
	"github.com/hardneg/hardneg/source"
	"github.com/hardneg/hardneg/synth"
)

// options are the settings of a run on the synonym data in dir.
func options(dir string) mine.Settings {
	s := mine.DefaultSettings(dir)
	s.OutDir = "unused"
	return s
}

func run(ctx context.Context, s mine.Settings) (*Report, error) { return Run(ctx, s, Options{}) }

var synthDir = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "hardneg-inspect-test-")
	if err != nil {
		return "", err
	}
	d, err := synth.Generate(synth.DefaultConfig())
	if err != nil {
		return "", err
	}
	return dir, d.WriteDir(dir)
})

func TestMain(m *testing.M) {
	code := m.Run()
	if dir, err := synthDir(); err == nil {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

func synthData(t *testing.T) string {
	t.Helper()
	dir, err := synthDir()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// truth is the data set loaded the slow way: every row normalised into one
// matrix, similarities by scan.Similarity one pair at a time.
type truth struct {
	voc     *source.Side
	anchors []source.Anchor
	mat     *scan.Matrix
}

func loadTruth(t *testing.T, opt mine.Settings) *truth {
	t.Helper()
	voc, err := source.ReadTerms(opt.Inputs.Terms)
	if err != nil {
		t.Fatal(err)
	}
	anchors, _, err := source.ReadPairs(opt.Inputs.Pairs, voc)
	if err != nil {
		t.Fatal(err)
	}
	f, err := npy.Open(opt.Inputs.Embeddings)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := &scan.Matrix{Rows: f.Rows(), Cols: f.Cols(), Data: make([]float32, f.Rows()*f.Cols())}
	f.ReadFloat32(m.Data, 0)
	for r := range m.Rows {
		row := m.Row(r)
		var ss float64
		for _, v := range row {
			ss += float64(v) * float64(v)
		}
		for k, v := range row {
			row[k] = float32(float64(v) / math.Sqrt(ss))
		}
	}
	return &truth{voc: voc, anchors: anchors, mat: m}
}

func (tr *truth) anchor(term string) source.Anchor {
	row, _ := tr.voc.Lookup(term)
	for _, a := range tr.anchors {
		if a.Query == row {
			return a
		}
	}
	panic("no anchor " + term)
}

// brute counts one anchor's candidates by band, with and without the
// ceiling, and adds their similarities to hist.
func (tr *truth) brute(a source.Anchor, bands []Band, ceil float64, hist []int64) (pools, under []int64) {
	sb := make([]scan.Band, len(bands))
	for i, b := range bands {
		sb[i] = scan.Band{Lo: b.Lo, Hi: b.Hi}
	}
	pools, under = make([]int64, len(bands)), make([]int64, len(bands))
	for c := range tr.mat.Rows {
		if int32(c) == a.Query || slices.Contains(a.Positives, int32(c)) {
			continue
		}
		s := scan.Similarity(tr.mat, int(a.Query), tr.mat, c)
		x := float64(s)
		bin := int(math.Floor((x + 1) * 20))
		for bin > 0 && x < float64(bin-20)/20 {
			bin--
		}
		for bin < 39 && x >= float64(bin+1-20)/20 {
			bin++
		}
		hist[min(max(bin, 0), 39)]++
		if b := scan.BandOf(sb, x); b >= 0 {
			pools[b]++
			if !(x > ceil) {
				under[b]++
			}
		}
	}
	return pools, under
}

func (tr *truth) lowestPositive(a source.Anchor) float32 {
	low := float32(math.Inf(1))
	for _, p := range a.Positives {
		low = min(low, scan.Similarity(tr.mat, int(a.Query), tr.mat, int(p)))
	}
	return low
}

func TestSynthAgainstBruteForce(t *testing.T) {
	opt := options(synthData(t))
	margin := 0.45 // starves some anchors, not all
	opt.Limits.AbsoluteMargin = &margin
	r, err := run(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	tr := loadTruth(t, opt)
	if len(r.Sample) != DefaultSample {
		t.Fatalf("sampled %d anchors, want %d", len(r.Sample), DefaultSample)
	}

	// The candidates' histogram counts every term but the anchor and its
	// positives, once per sampled anchor.
	var want int64
	for _, a := range r.Sample {
		want += int64(r.Corpus - 1 - a.Positives)
	}
	if got := r.Candidates.Total(); got != want {
		t.Errorf("candidate histogram holds %d similarities, want %d", got, want)
	}
	var wantPos int64
	for _, a := range r.Sample {
		wantPos += int64(a.Positives)
	}
	if got := r.Positives.Total(); got != wantPos {
		t.Errorf("positive histogram holds %d similarities, want %d", got, wantPos)
	}

	// Every sampled anchor's pools, histogram and ceiling, brute force.
	hist := make([]int64, bins)
	starved := 0
	for _, a := range r.Sample {
		ta := tr.anchor(a.ID)
		low := tr.lowestPositive(ta)
		if a.LowestPositive != low {
			t.Errorf("%s: lowest positive %v, want %v", a.ID, a.LowestPositive, low)
		}
		pools, under := tr.brute(ta, opt.Bands, float64(low)-margin, hist)
		if !slices.Equal(a.Pools, pools) || !slices.Equal(a.PoolsUnderLimits, under) {
			t.Errorf("%s: pools %v, within the limits %v; want %v, %v", a.ID, a.Pools, a.PoolsUnderLimits, pools, under)
		}
		if sum(pools) > 0 && sum(under) == 0 {
			starved++
		}
	}
	if !slices.Equal(r.Candidates.Counts, hist) {
		t.Errorf("candidate histogram\n%v, want\n%v", r.Candidates.Counts, hist)
	}
	if r.Limits == nil || r.Limits.Starved != starved {
		t.Fatalf("limits %+v, want %d starved", r.Limits, starved)
	}
	if starved == 0 || starved == len(r.Sample) {
		t.Errorf("the test's ceiling starves %d of %d anchors; pick one that starves some", starved, len(r.Sample))
	}
	t.Logf("%d of %d sampled anchors starved by a margin of %g", starved, len(r.Sample), margin)

	// The pools are those the mining scan counts.
	q := scan.Query{}
	for _, a := range r.Sample {
		ta := tr.anchor(a.ID)
		q.Anchors = append(q.Anchors, ta.Query)
		q.Exclude = append(q.Exclude, append([]int32{ta.Query}, ta.Positives...))
		q.Seeds = append(q.Seeds, 1)
	}
	res, err := scan.Scan(context.Background(), tr.mat, tr.mat, q, scan.Options{
		Bands: []scan.Band{{Lo: 0.3, Hi: 0.5}, {Lo: 0.5, Hi: 0.7}, {Lo: 0.7, Hi: 0.9}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range r.Sample {
		if !slices.Equal(a.Pools, res[i].Counts) {
			t.Errorf("%s: pools %v, the scan counts %v", a.ID, a.Pools, res[i].Counts)
		}
	}
}

func TestSampleIsDeterministic(t *testing.T) {
	opt := options(synthData(t))
	terms := func(opt mine.Settings) []string {
		t.Helper()
		r, err := run(context.Background(), opt)
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, a := range r.Sample {
			s = append(s, a.ID)
		}
		return s
	}
	first := terms(opt)
	if again := terms(opt); !slices.Equal(first, again) {
		t.Errorf("the same seed sampled different anchors")
	}
	opt2 := opt
	opt2.Seed = 7
	if other := terms(opt2); slices.Equal(first, other) {
		t.Errorf("seeds 42 and 7 sampled the same anchors")
	}

	// The sample is the anchors with the smallest per-anchor seeds mine
	// would give them, in first-seen order.
	tr := loadTruth(t, opt)
	type keyed struct {
		key  uint64
		term string
		idx  int
	}
	var all []keyed
	for i, a := range tr.anchors {
		term := tr.voc.ID(a.Query)
		all = append(all, keyed{mine.AnchorSeed(opt.Seed, mine.IDHash(term)), term, i})
	}
	slices.SortFunc(all, func(x, y keyed) int {
		if x.key != y.key {
			if x.key < y.key {
				return -1
			}
			return 1
		}
		return x.idx - y.idx
	})
	all = all[:DefaultSample]
	slices.SortFunc(all, func(x, y keyed) int { return x.idx - y.idx })
	var want []string
	for _, k := range all {
		want = append(want, k.term)
	}
	if !slices.Equal(first, want) {
		t.Errorf("sample %v...\nwant %v...", first[:5], want[:5])
	}
}

func TestThreadsDoNotChangeTheReport(t *testing.T) {
	opt := options(synthData(t))
	relative := 0.1
	opt.Limits.RelativeMargin = &relative
	var reports []*Report
	var texts []string
	for _, th := range []int{1, 2, 5} {
		opt.Threads = th
		r, err := run(context.Background(), opt)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := r.WriteText(&b); err != nil {
			t.Fatal(err)
		}
		reports, texts = append(reports, r), append(texts, b.String())
	}
	for i := 1; i < len(reports); i++ {
		if !reflect.DeepEqual(reports[0], reports[i]) || texts[0] != texts[i] {
			t.Errorf("report %d differs from the one-thread report", i)
		}
	}
}

// tinyData writes six terms in three dimensions whose similarities are
// known: a and b are synonyms at 0.93; c, d, e and f lie at 0.82, 0.62,
// 0.42 and -0.52 from a, and at 0.93 times that from b.
func tinyData(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		source.TermsFile: `["a", "b", "c", "d", "e", "f"]`,
		source.PairsFile: `{"source": "a", "target": "b"}` + "\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	at := func(c float64) []float32 { return []float32{float32(c), float32(math.Sqrt(1 - c*c)), 0} }
	emb := []float32{2, 0, 0} // not unit length: Run normalises
	emb = append(emb, 0.93, 0, float32(math.Sqrt(1-0.93*0.93)))
	for _, c := range []float64{0.82, 0.62, 0.42, -0.52} {
		emb = append(emb, at(c)...)
	}
	if err := npy.Write(filepath.Join(dir, source.EmbeddingsFile), 6, 3, emb, npy.Float32); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestTinyKnownSimilarities(t *testing.T) {
	dir := tinyData(t)
	for _, tc := range []struct {
		name                 string
		relative, margin     float64
		wantRemoved          []int64
		wantStarved          int
		wantUnderA, wantUndB []int64
	}{
		// Ceiling 0.93 − 0.15 × 0.93 = 0.79: a loses c (0.82); b keeps c (0.76).
		{name: "relative", relative: 0.15, wantRemoved: []int64{0, 0, 1}, wantUnderA: []int64{1, 1, 0}, wantUndB: []int64{1, 1, 1}},
		// Ceiling 0.93 − 0.55 = 0.38: nothing is left in any band.
		{name: "margin", margin: 0.55, wantRemoved: []int64{2, 2, 2}, wantStarved: 2, wantUnderA: []int64{0, 0, 0}, wantUndB: []int64{0, 0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opt := options(dir)
			if tc.relative > 0 {
				opt.Limits.RelativeMargin = &tc.relative
			}
			if tc.margin > 0 {
				opt.Limits.AbsoluteMargin = &tc.margin
			}
			r, err := run(context.Background(), opt)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Sample) != 2 || r.Sample[0].ID != "a" || r.Sample[1].ID != "b" {
				t.Fatalf("sample %+v, want a and b", r.Sample)
			}
			wantHist := make([]int64, bins)
			// a: 0.82, 0.62, 0.42, -0.52; b: 0.7626, 0.5766, 0.3906, -0.4836.
			for _, i := range []int{36, 32, 28, 9, 35, 31, 27, 10} {
				wantHist[i]++
			}
			if !slices.Equal(r.Candidates.Counts, wantHist) {
				t.Errorf("candidates %v, want %v", r.Candidates.Counts, wantHist)
			}
			wantPos := make([]int64, bins)
			wantPos[38] = 2 // 0.93 both ways
			if !slices.Equal(r.Positives.Counts, wantPos) {
				t.Errorf("positives %v, want %v", r.Positives.Counts, wantPos)
			}
			for i, a := range r.Sample {
				if math.Abs(float64(a.LowestPositive)-0.93) > 1e-6 {
					t.Errorf("%s: lowest positive %v, want 0.93", a.ID, a.LowestPositive)
				}
				if !slices.Equal(a.Pools, []int64{1, 1, 1}) {
					t.Errorf("%s: pools %v, want 1 in each band", a.ID, a.Pools)
				}
				want := [][]int64{tc.wantUnderA, tc.wantUndB}[i]
				if !slices.Equal(a.PoolsUnderLimits, want) {
					t.Errorf("%s: pools within the limits %v, want %v", a.ID, a.PoolsUnderLimits, want)
				}
			}
			c := r.Limits
			if c == nil || !slices.Equal(c.Removed, tc.wantRemoved) || c.Starved != tc.wantStarved {
				t.Errorf("limits %+v, want removed %v and %d starved", c, tc.wantRemoved, tc.wantStarved)
			}
			// Every band holds 1 candidate against quotas of 1.65 and 1.7.
			for _, s := range r.Pools {
				if s.Short != 2 || s.ShortShare != 1 || s.Min != 1 || s.Median != 1 || s.Max != 1 {
					t.Errorf("%s: %+v, want both anchors short with pools of 1", s.Name, s)
				}
				if math.Abs(s.Shortfall-(s.Quota-1)) > 1e-12 {
					t.Errorf("%s: shortfall %v, want %v", s.Name, s.Shortfall, s.Quota-1)
				}
			}
			if r.Overall.Short != 2 || r.Overall.Missing != 2 {
				t.Errorf("overall %+v, want 2 anchors short by 2", r.Overall)
			}

			var b bytes.Buffer
			if err := r.WriteText(&b); err != nil {
				t.Fatal(err)
			}
			text := b.String()
			for _, want := range []string{
				"█", "  0.80   0.85            1  12.5%",
				"hard: 100% of anchors have fewer than 2 candidates; consider a lower hard-range LO",
				"easy     [0.3, 0.5)",
			} {
				if !strings.Contains(text, want) {
					t.Errorf("the text report lacks %q:\n%s", want, text)
				}
			}
			if tc.wantStarved == 2 && !strings.Contains(text, "limits: they leave 100.0% of anchors with no candidate; consider a smaller --absolute-margin") {
				t.Errorf("the text report lacks the limits' advice:\n%s", text)
			}
			// Both positives (0.93) lie above every band: no warning.
			if strings.Contains(text, "of the positives lie inside") {
				t.Errorf("the report warns about positives inside a band:\n%s", text)
			}
		})
	}
}

func TestBinEdges(t *testing.T) {
	for _, tc := range []struct {
		s    float32
		want int
	}{
		{-1, 0}, {-2, 0}, {-0.95, 1}, {0, 20}, {-1e-9, 19}, {0.3, 26}, {scan.Threshold(0.3), 26},
		{math.Nextafter32(scan.Threshold(0.3), 0), 25}, {0.9999, 39}, {1, 39}, {1.0001, 39},
	} {
		if got := binOf(tc.s); got != tc.want {
			t.Errorf("binOf(%v) = %d, want %d", tc.s, got, tc.want)
		}
	}
}

func TestErrors(t *testing.T) {
	good := tinyData(t)
	write := func(t *testing.T, name string, data []byte) mine.Settings {
		dir := t.TempDir()
		for _, n := range []string{source.TermsFile, source.PairsFile, source.EmbeddingsFile} {
			b, err := os.ReadFile(filepath.Join(good, n))
			if err != nil {
				t.Fatal(err)
			}
			if n == name {
				b = data
			}
			if err := os.WriteFile(filepath.Join(dir, n), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return options(dir)
	}
	npyOf := func(rows int, data []float32) []byte {
		var b bytes.Buffer
		if err := npy.WriteTo(&b, rows, 3, data, npy.Float32); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	six := []float32{1, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1, 0, 1, 1}
	zero := slices.Clone(six)
	copy(zero[9:12], []float32{0, 0, 0})
	for _, tc := range []struct {
		name  string
		opt   func(t *testing.T) mine.Settings
		want  error
		names string // the message names this file
		where string
	}{
		{"missing pairs", func(t *testing.T) mine.Settings {
			o := options(good)
			o.Inputs.Pairs = filepath.Join(t.TempDir(), "nope.jsonl")
			return o
		}, mine.ErrInput, "nope.jsonl", ""},
		{"bad terms", func(t *testing.T) mine.Settings { return write(t, source.TermsFile, []byte(`["a", 3]`)) }, mine.ErrInput, source.TermsFile, ""},
		{"bad pairs", func(t *testing.T) mine.Settings { return write(t, source.PairsFile, []byte("{\"source\": \"a\"\n")) }, mine.ErrInput, source.PairsFile, "line 1"},
		{"row count", func(t *testing.T) mine.Settings { return write(t, source.EmbeddingsFile, npyOf(5, six[:15])) }, mine.ErrInput, source.EmbeddingsFile, "5 rows"},
		{"zero row", func(t *testing.T) mine.Settings { return write(t, source.EmbeddingsFile, npyOf(6, zero)) }, mine.ErrInput, source.EmbeddingsFile, `row 3 (term "d")`},
		{"not npy", func(t *testing.T) mine.Settings { return write(t, source.EmbeddingsFile, []byte("hello")) }, mine.ErrInput, source.EmbeddingsFile, ""},
		{"no bands", func(t *testing.T) mine.Settings { o := options(good); o.Bands = nil; return o }, mine.ErrConfig, "", ""},
		{"overlap", func(t *testing.T) mine.Settings {
			o := options(good)
			o.Bands = []Band{{Name: "x", Lo: 0.3, Hi: 0.6, Ratio: 0.5}, {Name: "y", Lo: 0.5, Hi: 0.7, Ratio: 0.5}}
			return o
		}, mine.ErrConfig, "", "overlap"},
		{"negatives", func(t *testing.T) mine.Settings { o := options(good); o.NegativesPerAnchor = 0; return o }, mine.ErrConfig, "", ""},
		{"margin", func(t *testing.T) mine.Settings {
			o := options(good)
			m := math.NaN()
			o.Limits.AbsoluteMargin = &m
			return o
		}, mine.ErrConfig, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := run(context.Background(), tc.opt(t))
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.names) || !strings.Contains(err.Error(), tc.where) {
				t.Errorf("err = %v, want it to name %q and %q", err, tc.names, tc.where)
			}
		})
	}
}

func TestSampleMustBePositive(t *testing.T) {
	if _, err := Run(context.Background(), options(tinyData(t)), Options{Sample: -1}); !errors.Is(err, ErrConfig) {
		t.Fatalf("err = %v, want ErrConfig", err)
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	opt := options(synthData(t))
	opt.Threads = 2
	if _, err := run(ctx, opt); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}
