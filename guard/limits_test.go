package guard

import (
	"math"
	"testing"
)

func ptr(x float64) *float64 { return &x }

// TestLimitBounds checks each limit on its own and together, and the sign
// safety of the relative margin: with a negative s+, s+ - |s+|·m still lies
// below s+, where s+·(1 - m) would lie above it.
func TestLimitBounds(t *testing.T) {
	low := float32(0.6)
	p := float64(low)
	for _, tc := range []struct {
		name        string
		l           Limits
		floor, ceil float64
	}{
		{"none", Limits{}, math.Inf(-1), math.Inf(1)},
		{"relative", Limits{RelativeMargin: ptr(0.05)}, math.Inf(-1), p - p*0.05},
		{"absolute", Limits{AbsoluteMargin: ptr(0.1)}, math.Inf(-1), p - 0.1},
		{"max score lower", Limits{MaxScore: ptr(0.5), RelativeMargin: ptr(0.05)}, math.Inf(-1), 0.5},
		{"margin lower", Limits{MaxScore: ptr(0.59), AbsoluteMargin: ptr(0.1)}, math.Inf(-1), p - 0.1},
		{"min score", Limits{MinScore: ptr(0.2)}, 0.2, math.Inf(1)},
	} {
		f, c := tc.l.Bounds(low)
		if f != tc.floor || c != tc.ceil {
			t.Errorf("%s: bounds [%v, %v], want [%v, %v]", tc.name, f, c, tc.floor, tc.ceil)
		}
	}
	neg := float32(-0.2)
	_, c := Limits{RelativeMargin: ptr(0.05)}.Bounds(neg)
	if n := float64(neg); !(c < n) || c != n-math.Abs(n)*0.05 {
		t.Errorf("negative s+: ceiling %v, want below %v", c, neg)
	}
}
