package scan

import "math"

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

// AtMost returns the largest float32 c with float64(c) <= x, so that for
// every float32 s, s <= c exactly when float64(s) <= x. It is how a
// ceiling given in float64 is applied to float32 similarities.
func AtMost(x float64) float32 {
	if x >= math.MaxFloat32 {
		return math.MaxFloat32
	}
	if x < -math.MaxFloat32 {
		return float32(math.Inf(-1))
	}
	c := float32(x)
	if float64(c) > x {
		c = math.Nextafter32(c, float32(math.Inf(-1)))
	}
	return c
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
