package split

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/hardneg/hardneg/source"
)

// triplets is a synthetic triplet table shaped like a real run's: a synonym
// graph of small groups and one giant chain, anchors in first-seen order with
// positives both ways, and rows listed anchor by anchor, each anchor holding
// between 1 and 50 rows (up to 5 positives × 1 to 10 negatives each).
type triplets struct {
	nTerms                     int
	anchors                    []source.Anchor
	anchor, positive, negative []int32
}

func makeTriplets(seed uint64) triplets {
	r := rand.New(rand.NewPCG(seed, 1))
	const nTerms, paired, giant = 4000, 2500, 300
	terms := r.Perm(nTerms)[:paired] // which terms are in pairs, scattered over the rows
	type edge struct{ u, v int32 }
	var edges []edge
	for i := 1; i < giant; i++ { // the giant component: a chain
		edges = append(edges, edge{int32(terms[i-1]), int32(terms[i])})
	}
	for i := giant; i < paired; {
		size := min(2+r.IntN(5), paired-i)
		if size == 1 { // a leftover single term joins the previous group
			edges = append(edges, edge{int32(terms[i-1]), int32(terms[i])})
			break
		}
		group := terms[i : i+size]
		for j := 1; j < size; j++ { // a random tree, plus a few extra edges
			edges = append(edges, edge{int32(group[r.IntN(j)]), int32(group[j])})
		}
		for range r.IntN(3) {
			a, b := group[r.IntN(size)], group[r.IntN(size)]
			if a != b {
				edges = append(edges, edge{int32(a), int32(b)})
			}
		}
		i += size
	}
	r.Shuffle(len(edges), func(i, j int) { edges[i], edges[j] = edges[j], edges[i] })

	// Anchors as vocab builds them: first-seen order, positives both ways,
	// each link once.
	var tb triplets
	tb.nTerms = nTerms
	index := map[int32]int{}
	linked := map[edge]bool{}
	link := func(a, p int32) {
		if linked[edge{a, p}] {
			return
		}
		linked[edge{a, p}] = true
		k, ok := index[a]
		if !ok {
			k = len(tb.anchors)
			index[a] = k
			tb.anchors = append(tb.anchors, source.Anchor{Query: a})
		}
		tb.anchors[k].Positives = append(tb.anchors[k].Positives, p)
	}
	for _, e := range edges {
		link(e.u, e.v)
		link(e.v, e.u)
	}

	for _, a := range tb.anchors {
		perPositive := 1 + r.IntN(10)
		for _, p := range a.Positives[:min(len(a.Positives), 5)] {
			for range perPositive {
				tb.anchor = append(tb.anchor, a.Query)
				tb.positive = append(tb.positive, p)
				tb.negative = append(tb.negative, int32(r.IntN(nTerms)))
			}
		}
	}
	return tb
}

// checkPartition fails unless train and val together hold each of the n
// rows exactly once.
func checkPartition(t *testing.T, n int, train, val []int) {
	t.Helper()
	all := slices.Concat(train, val)
	slices.Sort(all)
	if len(all) != n {
		t.Fatalf("%d + %d rows, want %d", len(train), len(val), n)
	}
	for i, v := range all {
		if v != i {
			t.Fatalf("rows are not a partition of [0, %d): position %d holds %d", n, i, v)
		}
	}
}

// keySides returns the keys of the rows on each side.
func keySides(key []int32, train, val []int) (trainKeys, valKeys map[int32]bool) {
	trainKeys, valKeys = map[int32]bool{}, map[int32]bool{}
	for _, r := range train {
		trainKeys[key[r]] = true
	}
	for _, r := range val {
		valKeys[key[r]] = true
	}
	return trainKeys, valKeys
}

func TestByGroup(t *testing.T) {
	tb := makeTriplets(7)
	comp, err := anchorComponents(tb.nTerms, tb.anchors)
	if err != nil {
		t.Fatal(err)
	}
	byComponent := make([]int32, len(tb.anchor))
	for i, a := range tb.anchor {
		byComponent[i] = comp[a]
	}
	singletons := make([]int32, 1000)
	for i := range singletons {
		singletons[i] = int32(i)
	}
	for _, tc := range []struct {
		name  string
		key   []int32
		ratio float64
		exact bool // one row per key: the train count must be ByRow's
	}{
		{"anchors 0.9", tb.anchor, 0.9, false},
		{"anchors 0.5", tb.anchor, 0.5, false},
		{"anchors all train", tb.anchor, 1, true},
		{"anchors all validation", tb.anchor, 0, true},
		{"components 0.9", byComponent, 0.9, false},
		{"singletons", singletons, 0.9, true},
		{"singletons truncate", singletons[:7], 0.5, true},
		{"one group", make([]int32, 40), 0.9, false},
		{"empty", nil, 0.9, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			train, val, err := ByGroup(tc.key, tc.ratio, 42)
			if err != nil {
				t.Fatal(err)
			}
			n := len(tc.key)
			checkPartition(t, n, train, val)

			trainKeys, valKeys := keySides(tc.key, train, val)
			for k := range trainKeys {
				if valKeys[k] {
					t.Fatalf("key %d on both sides", k)
				}
			}

			size := map[int32]int{}
			largest := 0
			for _, k := range tc.key {
				size[k]++
				largest = max(largest, size[k])
			}
			target := TrainCount(n, tc.ratio)
			over := len(train) - target
			switch {
			case tc.exact && over != 0:
				t.Fatalf("train has %d rows, want exactly %d", len(train), target)
			case over < 0:
				t.Fatalf("train has %d rows, fewer than the target %d", len(train), target)
			case over > 0 && over >= largest:
				t.Fatalf("train has %d rows, %d over the target %d: more than one group (largest %d)", len(train), over, target, largest)
			}
		})
	}
}

func TestByGroupGroupSizes(t *testing.T) {
	// The realistic mix the other tests rely on: groups of 1 to 50 rows.
	tb := makeTriplets(7)
	size := map[int32]int{}
	for _, a := range tb.anchor {
		size[a]++
	}
	lo, hi := len(tb.anchor), 0
	for _, s := range size {
		lo, hi = min(lo, s), max(hi, s)
	}
	if lo != 1 || hi < 30 || hi > 50 {
		t.Fatalf("anchors hold %d to %d rows, want 1 to about 50", lo, hi)
	}
}

func TestByGroupDependsOnSeed(t *testing.T) {
	key := makeTriplets(3).anchor
	a, aVal, _ := ByGroup(key, 0.8, 42)
	b, bVal, _ := ByGroup(key, 0.8, 42)
	c, _, _ := ByGroup(key, 0.8, 43)
	if !slices.Equal(a, b) || !slices.Equal(aVal, bVal) {
		t.Fatal("same seed gave different splits")
	}
	if slices.Equal(a, c) {
		t.Fatal("different seeds gave the same split")
	}
	aKeys, _ := keySides(key, a, nil)
	cKeys, _ := keySides(key, c, nil)
	same := 0
	for k := range aKeys {
		if cKeys[k] {
			same++
		}
	}
	if same == len(aKeys) {
		t.Fatal("different seeds put the same groups in train")
	}
}

func TestByGroupShufflesWithinSides(t *testing.T) {
	key := makeTriplets(5).anchor
	train, val, _ := ByGroup(key, 0.7, 1)
	for name, rows := range map[string][]int{"train": train, "validation": val} {
		if slices.IsSorted(rows) {
			t.Errorf("%s rows are sorted", name)
		}
		// Rows listed group by group would have neighbours sharing a key
		// almost everywhere; shuffled, almost nowhere.
		same := 0
		for i := 1; i < len(rows); i++ {
			if key[rows[i]] == key[rows[i-1]] {
				same++
			}
		}
		if frac := float64(same) / float64(len(rows)); frac > 0.05 {
			t.Errorf("%s: %.0f%% of neighbouring rows share a key: grouped, not shuffled", name, 100*frac)
		}
	}
}

func TestByGroupIgnoresRowOrder(t *testing.T) {
	// The groups are shuffled from their sorted keys, so listing the rows in
	// another order sends the same groups to train.
	key := makeTriplets(9).anchor
	reversed := slices.Clone(key)
	slices.Reverse(reversed)
	a, _, _ := ByGroup(key, 0.6, 11)
	b, _, _ := ByGroup(reversed, 0.6, 11)
	aKeys, _ := keySides(key, a, nil)
	bKeys, _ := keySides(reversed, b, nil)
	if len(aKeys) != len(bKeys) {
		t.Fatalf("%d groups in train, %d with the rows reversed", len(aKeys), len(bKeys))
	}
	for k := range aKeys {
		if !bKeys[k] {
			t.Fatalf("group %d in train only when rows are in file order", k)
		}
	}
}

func TestByGroupRefusesBadRatio(t *testing.T) {
	for _, r := range []float64{-0.1, 1.5} {
		if _, _, err := ByGroup([]int32{1, 2}, r, 1); err == nil {
			t.Errorf("ratio %v accepted", r)
		}
	}
}

func TestByMode(t *testing.T) {
	tb := makeTriplets(2)
	comp, err := anchorComponents(tb.nTerms, tb.anchors)
	if err != nil {
		t.Fatal(err)
	}
	train, val, err := ByMode(ModeRow, tb.anchor, nil, 0.9, 5)
	if err != nil {
		t.Fatal(err)
	}
	wantTrain, wantVal, _ := ByRow(len(tb.anchor), 0.9, 5)
	if !slices.Equal(train, wantTrain) || !slices.Equal(val, wantVal) {
		t.Fatal("row mode differs from ByRow")
	}
	train, _, err = ByMode(ModeAnchor, tb.anchor, nil, 0.9, 5)
	if err != nil {
		t.Fatal(err)
	}
	if wantTrain, _, _ := ByGroup(tb.anchor, 0.9, 5); !slices.Equal(train, wantTrain) {
		t.Fatal("anchor mode differs from ByGroup on anchors")
	}
	if _, _, err := ByMode(ModeComponent, tb.anchor, comp, 0.9, 5); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name   string
		mode   Mode
		anchor []int32
		comp   []int32
	}{
		{"component mode without labels", ModeComponent, []int32{0}, nil},
		{"anchor outside the labels", ModeComponent, []int32{0, 3}, []int32{0, 0}},
		{"no such mode", Mode(7), []int32{0}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := ByMode(tc.mode, tc.anchor, tc.comp, 0.5, 1); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestMode(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode Mode
	}{{"row", ModeRow}, {"anchor", ModeAnchor}, {"component", ModeComponent}} {
		t.Run(tc.name, func(t *testing.T) {
			if s := tc.mode.String(); s != tc.name {
				t.Fatalf("String() = %q", s)
			}
			m, err := ParseMode(tc.name)
			if err != nil || m != tc.mode {
				t.Fatalf("ParseMode(%q) = %v, %v", tc.name, m, err)
			}
			b, err := tc.mode.MarshalText()
			if err != nil || string(b) != tc.name {
				t.Fatalf("MarshalText() = %q, %v", b, err)
			}
			var u Mode
			if err := u.UnmarshalText(b); err != nil || u != tc.mode {
				t.Fatalf("UnmarshalText(%q) = %v, %v", b, u, err)
			}
		})
	}
	for _, s := range []string{"", "Row", "rows", "components"} {
		if _, err := ParseMode(s); !errors.Is(err, ErrMode) {
			t.Errorf("ParseMode(%q): error %v, want ErrMode", s, err)
		}
	}
	if _, err := Mode(9).MarshalText(); err == nil {
		t.Error("MarshalText of Mode(9) accepted")
	}
}
