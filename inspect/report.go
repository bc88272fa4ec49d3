package inspect

import (
	"math"
	"slices"

	"github.com/hardneg/hardneg/guard"
	"github.com/hardneg/hardneg/mine"
)

// The histograms have bins bins of width 1/binsPerUnit from -1 to 1.
const (
	bins        = 40
	binsPerUnit = 20
)

// BinEdge is the lower edge of bin i (and the upper edge of bin i−1):
// (i − 20) / 20, rounded once, the way a decimal edge such as 0.3 is
// written on the command line.
func BinEdge(i int) float64 { return float64(i-binsPerUnit) / binsPerUnit }

// binOf returns the bin holding s: the i with BinEdge(i) <= s < BinEdge(i+1),
// compared in float64 as band edges are. Similarities below −1 go to the
// first bin and those of 1 or more (rounding can reach them) to the last.
func binOf(s float32) int { return binOf64(float64(s)) }

// binOf64 is binOf for a float64 similarity or edge.
func binOf64(x float64) int {
	i := int(math.Floor(x*binsPerUnit)) + binsPerUnit
	if i > 0 && i <= bins && x < BinEdge(i) {
		i--
	} else if i >= 0 && i < bins && x >= BinEdge(i+1) {
		i++
	}
	return min(max(i, 0), bins-1)
}

// Histogram counts similarities in bins of width 0.05 from −1 to 1: bin i
// is [BinEdge(i), BinEdge(i+1)).
type Histogram struct {
	Counts []int64 // 40 bins
}

func newHistogram() Histogram { return Histogram{Counts: make([]int64, bins)} }

// Total is the number of similarities counted.
func (h Histogram) Total() int64 {
	var n int64
	for _, c := range h.Counts {
		n += c
	}
	return n
}

// Report is what Run found.
type Report struct {
	Corpus, Dim int    // the corpus matrix's shape
	Anchors     int    // anchors in the problem
	Seed        uint64 // the seed that chose the sample
	Negatives   int    // negatives per anchor
	Bands       []Band
	// Same reports that the queries are the corpus (a term list).
	Same bool

	// Candidates counts the similarity of every sampled anchor to each of
	// its candidates: every corpus item the guards leave it, before the
	// score limits.
	Candidates Histogram
	// NearDuplicates counts the candidates the near-duplicate guard
	// dropped over the sample.
	NearDuplicates int64
	// Positives counts the similarity of every sampled anchor to each of
	// its positives.
	Positives Histogram

	// Sample holds the sampled anchors, in the pairs file's first-seen order.
	Sample []AnchorReport
	// Pools describes each band's pools over the sample, without a ceiling.
	Pools []BandStats
	// Overall is about the bands together: the anchors whose bands hold
	// fewer than Negatives candidates in all.
	Overall Overall
	// Limits is the effect of the score limits and margins; nil when off.
	Limits *Limits
	// PositivesInBands is, per band, the share of the sample's positives
	// whose similarity lies in the band.
	PositivesInBands []float64
}

// AnchorReport is one sampled anchor.
type AnchorReport struct {
	ID        string // the query's id (a term, for a term list)
	Row       int32
	Positives int
	// LowestPositive is the anchor's lowest similarity to a positive.
	LowestPositive float32
	// Pools is the number of candidates in each band.
	Pools []int64
	// PoolsUnderLimits are the pools within the score limits; set only
	// when a limit is.
	PoolsUnderLimits []int64
}

// BandStats describes one band's pools over the sampled anchors.
type BandStats struct {
	Band
	// Quota is Negatives × Ratio, the share of one anchor's negatives the
	// balanced quota aims to take from the band.
	Quota float64
	// Min, P10, Median and Max are order statistics of the pool sizes: the
	// sorted pools' entries at 0, n/10, n/2 and n−1.
	Min, P10, Median, Max int64
	// Empty counts anchors with no candidate in the band.
	Empty int
	// Short counts anchors whose pool is below Quota, and ShortShare is
	// their share of the sample.
	Short      int
	ShortShare float64
	// Shortfall is the mean over the sample of max(0, Quota − pool): the
	// negatives per anchor the band cannot give, which the balanced quota
	// moves to the other bands when they can take them.
	Shortfall float64
}

// Overall is about all bands together.
type Overall struct {
	// Short counts sampled anchors whose bands hold fewer than Negatives
	// candidates in all, and Empty those that hold none.
	Short, Empty int
	// Missing is the mean over the sample of max(0, Negatives − candidates
	// in all bands): negatives per anchor no band can give.
	Missing float64
}

// Limits is the effect of the score limits and margins on the sample.
type Limits struct {
	guard.Limits
	// Starved counts sampled anchors that have candidates in some band but
	// none left in any band within the limits. Empty counts those with none
	// even without them.
	Starved, Empty int
	// Removed is, per band, the number of candidates the limits drop,
	// summed over the sample.
	Removed []int64
	// Pools describes each band's pools within the limits.
	Pools []BandStats
	// Overall is Report.Overall within the limits.
	Overall Overall
}

// summarise fills in the statistics from the per-anchor pools.
func (r *Report) summarise(s mine.Settings) {
	pools := make([][]int64, len(r.Sample))
	for i, a := range r.Sample {
		pools[i] = a.Pools
	}
	r.Pools = bandStats(r.Bands, r.Negatives, pools)
	r.Overall = overall(r.Negatives, pools)
	if !s.Limits.On() {
		return
	}
	c := &Limits{Limits: s.Limits, Removed: make([]int64, len(r.Bands))}
	under := make([][]int64, len(r.Sample))
	for i, a := range r.Sample {
		under[i] = a.PoolsUnderLimits
		before, after := sum(a.Pools), sum(a.PoolsUnderLimits)
		switch {
		case before == 0:
			c.Empty++
		case after == 0:
			c.Starved++
		}
		for b := range r.Bands {
			c.Removed[b] += a.Pools[b] - a.PoolsUnderLimits[b]
		}
	}
	c.Pools = bandStats(r.Bands, r.Negatives, under)
	c.Overall = overall(r.Negatives, under)
	r.Limits = c
}

func bandStats(bands []Band, n int, pools [][]int64) []BandStats {
	out := make([]BandStats, len(bands))
	for b, band := range bands {
		s := BandStats{Band: band, Quota: float64(n) * band.Ratio}
		if len(pools) == 0 {
			out[b] = s
			continue
		}
		v := make([]int64, len(pools))
		var shortfall float64
		for i, p := range pools {
			v[i] = p[b]
			if p[b] == 0 {
				s.Empty++
			}
			if float64(p[b]) < s.Quota {
				s.Short++
				shortfall += s.Quota - float64(p[b])
			}
		}
		slices.Sort(v)
		s.Min, s.P10, s.Median, s.Max = v[0], v[len(v)/10], v[len(v)/2], v[len(v)-1]
		s.ShortShare = float64(s.Short) / float64(len(pools))
		s.Shortfall = shortfall / float64(len(pools))
		out[b] = s
	}
	return out
}

func overall(n int, pools [][]int64) Overall {
	var o Overall
	if len(pools) == 0 {
		return o
	}
	var missing int64
	for _, p := range pools {
		t := sum(p)
		if t == 0 {
			o.Empty++
		}
		if t < int64(n) {
			o.Short++
			missing += int64(n) - t
		}
	}
	o.Missing = float64(missing) / float64(len(pools))
	return o
}

func sum(p []int64) int64 {
	var t int64
	for _, x := range p {
		t += x
	}
	return t
}
