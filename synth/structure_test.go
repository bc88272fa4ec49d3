package synth

import (
	"os"
	"testing"
	"time"

	"github.com/hardneg/hardneg/npy"
)

func logStats(t *testing.T, st bandStats) {
	t.Helper()
	t.Logf("random pairs: <0.15 %.3f, [0.15,0.3) %.3f, easy %.3f, medium %.4f, hard %.4f, >=0.9 %.5f",
		st.randBelow15, st.randLow, st.randEasy, st.randMedium, st.randHard, st.randAbove)
	t.Logf("anchors %d, mean positives %.3f, max %d; group pairs in [0.75,0.95) %.3f, below 0.6 %.3f",
		st.anchors, st.meanPositives, st.maxPositives, st.groupHigh, st.groupLow)
	t.Logf("of %d sampled anchors: zero medium %.3f, zero hard %.3f, zero easy %.3f",
		st.sampled, st.zeroMedium, st.zeroHard, st.zeroEasy)
	for _, q := range []float64{0.1, 0.25, 0.5, 0.75, 0.9} {
		t.Logf("  quantile %.2f: medium %d, hard %d", q, quantile(st.mediumCounts, q), quantile(st.hardCounts, q))
	}
}

// TestBandStructure measures, in float64, what the package promises about
// the similarity structure.
func TestBandStructure(t *testing.T) {
	tests := []struct {
		name    string
		data    func(t *testing.T) *Dataset
		sample  int
		minMedP int // least anchors-with-zero-medium expected in the sample
	}{
		{"default", func(t *testing.T) *Dataset {
			d, err := Generate(DefaultConfig())
			if err != nil {
				t.Fatal(err)
			}
			return d
		}, 400, 1},
		{"mid", midDataset, 400, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := measure(tt.data(t), tt.sample, 100000)
			logStats(t, st)

			// Random pairs sit around 0.3: about half easy, most of the
			// rest just below.
			if st.randEasy < 0.35 || st.randEasy > 0.65 {
				t.Errorf("%.3f of random pairs are easy; want about half", st.randEasy)
			}
			below := st.randBelow15 + st.randLow
			if st.randLow < 0.6*below || below < 0.3 {
				t.Errorf("random pairs below 0.3: %.3f, of which [0.15,0.3) %.3f; want most of the rest just below 0.3", below, st.randLow)
			}
			if above := st.randMedium + st.randHard + st.randAbove; above > 0.06 {
				t.Errorf("%.3f of random pairs are at 0.5 or above; want few", above)
			}

			// Medium and hard candidates vary widely across anchors.
			if st.zeroHard < 0.08 || st.zeroHard > 0.45 {
				t.Errorf("%.3f of anchors have no hard candidate; want 10-40%%", st.zeroHard)
			}
			if n := int(st.zeroMedium*float64(st.sampled) + 0.5); n < tt.minMedP || st.zeroMedium > 0.3 {
				t.Errorf("%d anchors (%.3f) have no medium candidate; want some, and not many", n, st.zeroMedium)
			}
			if st.zeroEasy > 0 {
				t.Errorf("%.3f of anchors have no easy candidate; want none", st.zeroEasy)
			}
			if q := quantile(st.mediumCounts, 0.5); q < 5 || q > 2000 {
				t.Errorf("median anchor has %d medium candidates; want a handful to hundreds", q)
			}
			if q := quantile(st.hardCounts, 0.5); q < 2 || q > 500 {
				t.Errorf("median anchor has %d hard candidates; want a handful to hundreds", q)
			}
			if q := quantile(st.mediumCounts, 0.9); q < 100 {
				t.Errorf("90th-percentile anchor has %d medium candidates; want hundreds", q)
			}
			if q := quantile(st.hardCounts, 0.9); q < 20 {
				t.Errorf("90th-percentile anchor has %d hard candidates; want dozens or more", q)
			}

			// Synonyms: about 2.47 positives per anchor, highly similar.
			if st.meanPositives < 2.2 || st.meanPositives > 2.8 {
				t.Errorf("mean positives per anchor %.3f; want about 2.47", st.meanPositives)
			}
			if st.maxPositives > 9 {
				t.Errorf("an anchor has %d positives; want at most 9", st.maxPositives)
			}
			if st.groupHigh < 0.7 {
				t.Errorf("%.3f of within-group pairs have cosine in [0.75, 0.95); want most", st.groupHigh)
			}
			if st.groupLow == 0 || st.groupLow > 0.1 {
				t.Errorf("%.3f of within-group pairs are below 0.6; want a few", st.groupLow)
			}
		})
	}
}

// TestFullScale generates and writes the real size once and logs its
// timing and statistics. It takes about a minute, so it only runs when
// HARDNEG_SYNTH_FULL names a directory to write to.
func TestFullScale(t *testing.T) {
	dir := os.Getenv("HARDNEG_SYNTH_FULL")
	if dir == "" {
		t.Skip("set HARDNEG_SYNTH_FULL=DIR to generate 150,000 x 1024 float16 into DIR")
	}
	start := time.Now()
	d, err := Generate(Config{Terms: 150000, Dim: 1024, Seed: 42, DType: npy.Float16})
	if err != nil {
		t.Fatal(err)
	}
	gen := time.Since(start)
	if err := d.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	t.Logf("Generate %v, WriteDir %v, %d pairs (%d out of vocabulary)", gen, time.Since(start)-gen, len(d.Pairs), d.OOVPairs)
	logStats(t, measure(d, 200, 200000))
}
