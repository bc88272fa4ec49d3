package report

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestBin(t *testing.T) {
	tests := []struct {
		name string
		sim  float64
		want int
	}{
		{"band edge is a bin edge", 0.5, 300},
		{"just below an edge", math.Nextafter(0.5, 0), 299},
		{"float32 threshold of 0.3", float64(float32(0.3)) + 1e-9, 260},
		{"inside a bin", 0.7031, 340},
		{"just below 0.9", float64(math.Nextafter32(0.9, 0)), 379},
		{"one falls in the last bin", 1, numBins - 1},
		{"above one", 1.0000001, numBins - 1},
		{"minus one", -1, 0},
		{"below minus one", -1.5, 0},
	}
	// Every grid edge, and the floats either side of it.
	for k := 1; k < numBins; k++ {
		e := binLo(k)
		for _, x := range []float64{math.Nextafter(e, -2), e, math.Nextafter(e, 2), float64(float32(e))} {
			i := bin(x)
			if !(binLo(i) <= x && x < binLo(i+1)) {
				t.Fatalf("bin(%v) = %d, [%v, %v) does not hold it", x, i, binLo(i), binLo(i+1))
			}
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := bin(tt.sim); got != tt.want {
				t.Errorf("bin(%v) = %d, want %d", tt.sim, got, tt.want)
			}
			if lo := binLo(tt.want); tt.sim >= -1 && tt.sim < 1 && !(lo <= tt.sim && tt.sim < binLo(tt.want+1)) {
				t.Errorf("%v is not in bin %d [%v, %v)", tt.sim, tt.want, lo, binLo(tt.want+1))
			}
		})
	}
}

// A hand-written output: anchor a has positives p1 and p2 and negatives n1
// and n2, so each negative is on two lines; b has one positive and shares
// the negative term n1 with a, which is a different (anchor, negative).
const tinyTrain = `{"anchor": "a", "positive": "p1", "negative": "n1", "negative_similarity": 0.31, "difficulty": "easy"}
{"anchor": "a", "positive": "p2", "negative": "n2", "negative_similarity": 0.72, "difficulty": "hard"}

{"anchor": "b", "positive": "p1", "negative": "n1", "negative_similarity": 0.55, "difficulty": "medium"}
`

// The last line spells a as "\u0061", which takes encoding/json's path and
// must count as the same anchor.
const tinyVal = `{"anchor": "a", "positive": "p2", "negative": "n1", "negative_similarity": 0.31, "difficulty": "easy"}
{"anchor": "a", "positive": "p1", "negative": "n2", "negative_similarity": 0.72, "difficulty": "hard"}
{"anchor": "\u0061", "positive": "p1", "negative": "n1", "negative_similarity": 0.31, "difficulty": "easy"}
`

// tripletStats says the lines are triplets.
var tripletStats = &stats{Format: "triplet"}

func TestTally(t *testing.T) {
	tl := newTally()
	for i, line := range strings.Split(tinyTrain+tinyVal, "\n") {
		if err := tl.addLine([]byte(line), tripletStats); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
	}
	if tl.Lines != 6 {
		t.Errorf("Lines = %d, want 6 (blank lines skipped)", tl.Lines)
	}
	if want := []string{"easy", "hard", "medium"}; strings.Join(tl.Labels, ",") != strings.Join(want, ",") {
		t.Errorf("Labels = %q, want %q (first-seen order)", tl.Labels, want)
	}
	wantTriplets := map[string]int{"easy": 3, "hard": 2, "medium": 1}
	// Each distinct (anchor, negative) once: (a, n1), (a, n2), (b, n1).
	wantHist := map[string]map[int]int{
		"easy":   {bin(0.31): 1},
		"hard":   {bin(0.72): 1},
		"medium": {bin(0.55): 1},
	}
	for name, want := range wantTriplets {
		i := tl.labelIndex(name)
		if i < 0 {
			t.Fatalf("no label %q", name)
		}
		if tl.Triplets[i] != want {
			t.Errorf("%s: %d triplets, want %d", name, tl.Triplets[i], want)
		}
		for b, n := range tl.Hist[i] {
			if n != wantHist[name][b] {
				t.Errorf("%s: bin %d [%v, %v) holds %d, want %d", name, b, binLo(b), binLo(b+1), n, wantHist[name][b])
			}
		}
	}
	if tl.labelIndex("none") != -1 {
		t.Errorf("labelIndex of an unknown label is not -1")
	}
	got := tl.positives()
	if len(got) != 2 || got[2] != 1 || got[1] != 1 {
		t.Errorf("positives() = %v, want map[1:1 2:1] (a has p1, p2; b has p1)", got)
	}
	// a's negatives: n1 (easy), n2 (hard); b's: n1 (medium).
	for name, want := range map[string][]int{"easy": {1, 1}, "hard": {1, 1}, "medium": {1, 1}} {
		if got := tl.spread(tl.labelIndex(name)); !slices.Equal(got, want) {
			t.Errorf("spread(%s) = %v, want %v", name, got, want)
		}
	}
}

func TestReadStats(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    []band // Ratio -1 stands for NaN
		wantErr string
	}{
		{
			name: "bands sorted by lo whatever the key order",
			body: `{"config": {"hard_range": [0.7, 0.9], "easy_range": [0.3, 0.5], "easy_ratio": 0.4, "hard_ratio": 0.6, "train_ratio": 0.9}}`,
			want: []band{{Name: "easy", Lo: 0.3, Hi: 0.5, Ratio: 0.4}, {Name: "hard", Lo: 0.7, Hi: 0.9, Ratio: 0.6}},
		},
		{
			name: "band without a ratio",
			body: `{"config": {"x_range": [0, 1]}}`,
			want: []band{{Name: "x", Lo: 0, Hi: 1, Ratio: -1}},
		},
		{name: "no bands", body: `{"config": {"train_ratio": 0.9}}`, wantErr: "config has no <band>_range entries"},
		{name: "range not a pair", body: `{"config": {"easy_range": [0.3]}}`, wantErr: "config.easy_range is [0.3], not a range"},
		{name: "empty range", body: `{"config": {"easy_range": [0.5, 0.3]}}`, wantErr: "not a range [lo, hi] with lo < hi"},
		{name: "ratio not a number", body: `{"config": {"easy_range": [0.3, 0.5], "easy_ratio": "a"}}`, wantErr: `config.easy_ratio is "a", not a number`},
		{name: "not JSON", body: `{"config": `, wantErr: "unexpected end of JSON input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), statsFile)
			if err := os.WriteFile(path, []byte(tt.body), 0o644); err != nil {
				t.Fatal(err)
			}
			st, err := readStats(path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), path) || !errors.Is(err, ErrInput) {
					t.Fatalf("error %v, want one naming %s, wrapping ErrInput, containing %q", err, path, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(st.Bands) != len(tt.want) {
				t.Fatalf("bands %+v, want %+v", st.Bands, tt.want)
			}
			for i, b := range st.Bands {
				w := tt.want[i]
				if b.Name != w.Name || b.Lo != w.Lo || b.Hi != w.Hi || (w.Ratio == -1) != math.IsNaN(b.Ratio) || (w.Ratio != -1 && b.Ratio != w.Ratio) {
					t.Errorf("band %d = %+v, want %+v", i, b, w)
				}
			}
		})
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 13020: "13,020", 1234567: "1,234,567", -4500: "-4,500"} {
		if got := Thousands(n); got != want {
			t.Errorf("Thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

// BenchmarkTally measures the JSONL reading that dominates Write on large
// outputs: 5 negatives per anchor, 2 positives each.
func BenchmarkTally(b *testing.B) {
	var lines [][]byte
	size := 0
	for a := range 1000 {
		for p := range 2 {
			for n := range 5 {
				l := fmt.Appendf(nil, `{"anchor": "anchor%d", "positive": "pos%d_%d", "negative": "neg%d_%d", "negative_similarity": 0.%d, "difficulty": "medium"}`, a, a, p, a, n, 500000+a*37+n)
				lines = append(lines, l)
				size += len(l) + 1
			}
		}
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		tl := newTally()
		for _, l := range lines {
			if err := tl.addLine(l, tripletStats); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(lines)), "ns/line")
}
