package scan

import (
	"math"
	"slices"
)

// classifier maps a float32 similarity to a band. Its thresholds are the
// float32 images of the float64 band edges, chosen so that s >= lo[b] holds
// exactly when float64(s) >= Band.Lo, and likewise for Hi. The labels written
// to the output, which compare the float64 value of the same similarity,
// therefore always agree with the scan.
type classifier struct {
	lo, hi   []float32
	min, max float32
}

func newClassifier(bands []Band) classifier {
	c := classifier{}
	for _, b := range bands {
		c.lo = append(c.lo, Threshold(b.Lo))
		c.hi = append(c.hi, Threshold(b.Hi))
	}
	c.min, c.max = c.lo[0], c.hi[len(c.hi)-1]
	return c
}

// band returns the band holding s, or -1 when s falls in a gap between bands.
func (c *classifier) band(s float32) int {
	for b := range c.lo {
		if s < c.hi[b] {
			if s >= c.lo[b] {
				return b
			}
			return -1
		}
	}
	return -1
}

// Threshold returns the smallest float32 t with float64(t) >= x, so that for
// every float32 s, s >= t exactly when float64(s) >= x.
func Threshold(x float64) float32 {
	if x > math.MaxFloat32 {
		return float32(math.Inf(1))
	}
	if x < -math.MaxFloat32 {
		return -math.MaxFloat32
	}
	t := float32(x)
	if float64(t) < x {
		t = math.Nextafter32(t, float32(math.Inf(1)))
	}
	return t
}

// BandOf returns the band that holds sim under the same half-open rule the
// scan applies, or -1. Writers use it to label a similarity.
func BandOf(bands []Band, sim float64) int {
	for b, band := range bands {
		if sim >= band.Lo && sim < band.Hi {
			return b
		}
	}
	return -1
}

// bandAcc is one anchor's bottom-k sample for one band; the counts live in
// the classifier's per-panel arrays.
type bandAcc struct {
	// limit is the largest key that can still enter: the last pick's key
	// once the sample is full (ties then go by row), and before that the
	// largest key there is.
	limit uint32
	keep  int
	picks []Pick // sorted by key, at most keep long
}

func newBandAcc(keep int) bandAcc {
	a := bandAcc{keep: keep, limit: math.MaxUint32}
	if keep == 0 {
		a.limit = 0
	}
	return a
}

// below reports whether a candidate with key k and row r would enter the
// sample: the sample is the keep smallest (key, row) pairs, the row breaking
// ties so that the result never depends on the order candidates arrive in.
func (a *bandAcc) below(k uint32, r int32) bool {
	if len(a.picks) < a.keep {
		return true
	}
	if a.keep == 0 {
		return false
	}
	last := a.picks[len(a.picks)-1]
	return k < last.Key || (k == last.Key && r < last.Row)
}

// offer inserts p, for which below must hold.
func (a *bandAcc) offer(p Pick) {
	i, _ := slices.BinarySearchFunc(a.picks, p, comparePicks)
	if len(a.picks) == a.keep {
		a.picks = a.picks[:len(a.picks)-1]
	}
	a.picks = slices.Insert(a.picks, i, p)
	if len(a.picks) == a.keep {
		a.limit = a.picks[len(a.picks)-1].Key
	}
}

// comparePicks orders picks by key, then row.
func comparePicks(x, y Pick) int {
	switch {
	case x.Key < y.Key:
		return -1
	case x.Key > y.Key:
		return 1
	}
	return int(x.Row) - int(y.Row)
}
