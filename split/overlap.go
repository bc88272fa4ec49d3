package split

// Overlap is how much a split leaks: what appears in both the training and
// the validation split.
type Overlap struct {
	// Anchors is the number of distinct anchor terms with rows on both sides.
	Anchors int `json:"anchors"`
	// Terms is the number of distinct terms that appear on both sides in any
	// role (anchor, positive or negative).
	Terms int `json:"terms"`
	// Components is the number of components of the synonym graph whose
	// anchors have rows on both sides; zero when no labels were given.
	Components int `json:"components"`
}

// MeasureOverlap measures the overlap between the rows train and val of a
// triplet table whose row i is (anchor[i], positive[i], negative[i]), all
// term rows. comp, from Components, labels the terms; nil skips the count of
// straddling components.
//
// A component straddles when anchors in it have rows on both sides.
// Positives need no separate look, being in their anchor's component, and
// negatives are left out on purpose: they are drawn from the whole
// vocabulary, so any component may turn up as a negative on either side
// without leaking a synonym group.
func MeasureOverlap(train, val []int, anchor, positive, negative []int32, comp []int32) Overlap {
	nTerms := 0
	for _, rows := range [][]int{train, val} {
		for _, r := range rows {
			nTerms = max(nTerms, int(anchor[r])+1, int(positive[r])+1, int(negative[r])+1)
		}
	}
	// Bit 1: seen in train; bit 2: seen in validation.
	anchorSide := make([]uint8, nTerms)
	termSide := make([]uint8, nTerms)
	for bit, rows := range [][]int{train, val} {
		side := uint8(1) << bit
		for _, r := range rows {
			anchorSide[anchor[r]] |= side
			termSide[anchor[r]] |= side
			termSide[positive[r]] |= side
			termSide[negative[r]] |= side
		}
	}

	var o Overlap
	for t := range termSide {
		if anchorSide[t] == 3 {
			o.Anchors++
		}
		if termSide[t] == 3 {
			o.Terms++
		}
	}
	if comp != nil {
		compSide := map[int32]uint8{}
		for t, side := range anchorSide {
			if side != 0 {
				compSide[comp[t]] |= side
			}
		}
		for _, side := range compSide {
			if side == 3 {
				o.Components++
			}
		}
	}
	return o
}
