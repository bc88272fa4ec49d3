package split

import "testing"

func TestMeasureOverlapHandMade(t *testing.T) {
	// Components: {0,1,2}=0 {3,4}=1 {5}=2 {6,7}=3 {8}=4 {9}=5.
	comp := []int32{0, 0, 0, 1, 1, 2, 3, 3, 4, 5}
	anchor := []int32{0, 0, 3, 1, 6, 0}
	positive := []int32{1, 2, 4, 0, 7, 1}
	negative := []int32{5, 6, 8, 9, 5, 3}
	for _, tc := range []struct {
		name       string
		train, val []int
		comp       []int32
		want       Overlap
	}{
		// train anchors {0,3}, val {0,1,6}; terms in both: 0 1 5.
		{"anchor on both sides", []int{0, 2}, []int{1, 3, 4}, comp, Overlap{Anchors: 1, Terms: 3, Components: 1}},
		{"without labels", []int{0, 2}, []int{1, 3, 4}, nil, Overlap{Anchors: 1, Terms: 3}},
		// anchor 0 in train, its synonym 1 in validation.
		{"synonyms apart", []int{0, 1, 5}, []int{3}, comp, Overlap{Anchors: 0, Terms: 2, Components: 1}},
		// only negatives (3 5 6) are shared: no leak of a synonym group.
		{"negatives shared", []int{0, 1, 3, 5}, []int{2, 4}, comp, Overlap{Anchors: 0, Terms: 3, Components: 0}},
		{"empty validation", []int{0, 1, 2, 3, 4, 5}, nil, comp, Overlap{}},
		{"nothing", nil, nil, comp, Overlap{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := MeasureOverlap(tc.train, tc.val, anchor, positive, negative, tc.comp); got != tc.want {
				t.Fatalf("overlap %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestSplitsLeak(t *testing.T) {
	tb := makeTriplets(13)
	comp, err := anchorComponents(tb.nTerms, tb.anchors)
	if err != nil {
		t.Fatal(err)
	}
	measure := func(m Mode) Overlap {
		t.Helper()
		train, val, err := ByMode(m, tb.anchor, comp, 0.9, 42)
		if err != nil {
			t.Fatal(err)
		}
		checkPartition(t, len(tb.anchor), train, val)
		return MeasureOverlap(train, val, tb.anchor, tb.positive, tb.negative, comp)
	}

	if o := measure(ModeRow); o.Anchors == 0 || o.Components == 0 {
		t.Errorf("by row: overlap %+v, want anchors and components on both sides", o)
	}
	if o := measure(ModeAnchor); o.Anchors != 0 || o.Components == 0 {
		t.Errorf("by anchor: overlap %+v, want no anchor on both sides but synonym groups split", o)
	}
	if o := measure(ModeComponent); o.Anchors != 0 || o.Components != 0 {
		t.Errorf("by component: overlap %+v, want no anchor and no component on both sides", o)
	}
}
