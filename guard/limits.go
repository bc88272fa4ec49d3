package guard

import (
	"math"
)

// Limits are the score limits of a run: an absolute floor and ceiling on a
// candidate's similarity to the anchor, and positive-aware margins, which
// keep a candidate only when it is less similar to the anchor than the
// anchor's least similar positive by a margin. Unlisted similar texts tend
// to sit above that line; they are the likeliest false negatives.
type Limits struct {
	// MinScore and MaxScore keep MinScore <= s <= MaxScore.
	MinScore *float64 `json:"min_score,omitempty"`
	MaxScore *float64 `json:"max_score,omitempty"`
	// RelativeMargin m keeps s <= s⁺ − |s⁺|·m, with s⁺ the anchor's lowest
	// positive similarity: the sign-safe form sentence-transformers uses
	// (its issue #3819); s⁺·(1 − m) would raise the line when s⁺ < 0.
	RelativeMargin *float64 `json:"relative_margin,omitempty"`
	// AbsoluteMargin m keeps s <= s⁺ − m.
	AbsoluteMargin *float64 `json:"absolute_margin,omitempty"`
}

// On reports whether any limit is set.
func (l Limits) On() bool {
	return l.MinScore != nil || l.MaxScore != nil || l.RelativeMargin != nil || l.AbsoluteMargin != nil
}

// Margins reports whether a limit depends on the positives.
func (l Limits) Margins() bool { return l.RelativeMargin != nil || l.AbsoluteMargin != nil }

// Bounds returns the similarities an anchor's candidates must lie within,
// floor <= s <= ceiling, given its lowest positive similarity low; -Inf and
// +Inf where no limit applies.
func (l Limits) Bounds(low float32) (floor, ceiling float64) {
	floor, ceiling = math.Inf(-1), math.Inf(1)
	if l.MinScore != nil {
		floor = *l.MinScore
	}
	if l.MaxScore != nil {
		ceiling = *l.MaxScore
	}
	p := float64(low)
	if l.RelativeMargin != nil {
		ceiling = min(ceiling, p-math.Abs(p)**l.RelativeMargin)
	}
	if l.AbsoluteMargin != nil {
		ceiling = min(ceiling, p-*l.AbsoluteMargin)
	}
	return floor, ceiling
}
