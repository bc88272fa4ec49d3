package scan

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
)

// Sampling says how a band's sample is ordered and kept.
type Sampling int

const (
	// Random keeps the candidates with the smallest keys: a uniform
	// random sample, in random order.
	Random Sampling = iota
	// Top keeps the most similar candidates, most similar first.
	Top
	// SimANS keeps the candidates with the smallest SimANS scores: a
	// sample weighted towards similarities near the anchor's positive.
	SimANS
)

var samplingNames = [...]string{Random: "random", Top: "top", SimANS: "simans"}

// String returns "random", "top" or "simans".
func (s Sampling) String() string {
	if s >= 0 && int(s) < len(samplingNames) {
		return samplingNames[s]
	}
	return "Sampling(" + strconv.Itoa(int(s)) + ")"
}

// Pick is a sampled candidate.
type Pick struct {
	Row int32   // candidate row
	Sim float32 // its similarity to the anchor
	Key uint32  // its sampling key
}

// CompareKeys orders picks by key, then row: the order of a random sample.
func CompareKeys(x, y Pick) int {
	return cmp.Or(cmp.Compare(x.Key, y.Key), cmp.Compare(x.Row, y.Row))
}

// CompareTop orders picks most similar first, then by key, then row: the
// order of a top sample and of a rank window.
func CompareTop(x, y Pick) int {
	return cmp.Or(cmp.Compare(y.Sim, x.Sim), cmp.Compare(x.Key, y.Key), cmp.Compare(x.Row, y.Row))
}

// bottomK is one anchor's sample of one band: the keep candidates with the
// smallest (score, key, row), where the score is 0 for random sampling and
// the SimANS score otherwise. The counts live in the classifier's per-panel
// arrays.
type bottomK struct {
	keep   int
	picks  []Pick    // in increasing (score, key, row)
	scores []float64 // parallel to picks
	// limit is the largest key that can still enter: for random sampling
	// the last pick's key once the sample is full (ties then go by row), for
	// SimANS the key bound of the last score; before that the largest key
	// there is.
	limit uint32
}

func newBottomK(keep int) bottomK {
	a := bottomK{keep: keep, limit: math.MaxUint32}
	if keep == 0 {
		a.limit = 0
	}
	return a
}

func compareScored(s1 float64, p1 Pick, s2 float64, p2 Pick) int {
	return cmp.Or(cmp.Compare(s1, s2), CompareKeys(p1, p2))
}

// below reports whether a candidate would enter the sample.
func (a *bottomK) below(score float64, p Pick) bool {
	if len(a.picks) < a.keep {
		return true
	}
	if a.keep == 0 {
		return false
	}
	last := len(a.picks) - 1
	return compareScored(score, p, a.scores[last], a.picks[last]) < 0
}

// offer inserts p, for which below must hold, and updates the key limit;
// simans says how the limit follows the scores.
func (a *bottomK) offer(score float64, p Pick, simans bool) {
	i := len(a.picks)
	for i > 0 && compareScored(a.scores[i-1], a.picks[i-1], score, p) > 0 {
		i--
	}
	if len(a.picks) == a.keep {
		a.picks = a.picks[:len(a.picks)-1]
		a.scores = a.scores[:len(a.scores)-1]
	}
	a.picks = slices.Insert(a.picks, i, p)
	a.scores = slices.Insert(a.scores, i, score)
	if len(a.picks) == a.keep {
		if simans {
			a.limit = simANSKeyLimit(a.scores[len(a.scores)-1])
		} else {
			a.limit = a.picks[len(a.picks)-1].Key
		}
	}
}

// topK keeps the keep most similar candidates, in CompareTop order.
type topK struct {
	keep  int
	picks []Pick
}

// threshold is the similarity a candidate needs to be looked at: the
// smallest kept one once the sample is full (a tie may still enter on its
// key), and before that any finite similarity.
func (t *topK) threshold() float32 {
	if len(t.picks) < t.keep || t.keep == 0 {
		if t.keep == 0 {
			return float32(math.Inf(1))
		}
		return -math.MaxFloat32
	}
	return t.picks[len(t.picks)-1].Sim
}

// offer keeps p if it is among the keep best so far.
func (t *topK) offer(p Pick) {
	if t.keep == 0 {
		return
	}
	if len(t.picks) == t.keep && CompareTop(p, t.picks[len(t.picks)-1]) >= 0 {
		return
	}
	i, _ := slices.BinarySearchFunc(t.picks, p, CompareTop)
	if len(t.picks) == t.keep {
		t.picks = t.picks[:len(t.picks)-1]
	}
	t.picks = slices.Insert(t.picks, i, p)
}

// ParseSampling reads "random", "top" or "simans".
func ParseSampling(s string) (Sampling, error) {
	for m, name := range samplingNames {
		if s == name {
			return Sampling(m), nil
		}
	}
	return 0, fmt.Errorf("sampling %q: want random, top or simans", s)
}

// MarshalText writes the sampling's name.
func (s Sampling) MarshalText() ([]byte, error) {
	if s < 0 || int(s) >= len(samplingNames) {
		return nil, fmt.Errorf("scan: marshal sampling: %v is not a sampling", s)
	}
	return []byte(samplingNames[s]), nil
}

// UnmarshalText reads a sampling's name.
func (s *Sampling) UnmarshalText(b []byte) error {
	v, err := ParseSampling(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// MergeResults combines the results one anchor got from disjoint parts of
// the corpus (a corpus split into shards) into the result of the whole:
// counts add, samples and windows keep the best of both in their order.
// center is the anchor's SimANS center (Query.Centers), used with SimANS
// sampling only.
func MergeResults(a, b Result, opt Options, center float64) Result {
	out := Result{
		AboveCeiling:   a.AboveCeiling + b.AboveCeiling,
		BelowFloor:     a.BelowFloor + b.BelowFloor,
		NearDuplicates: a.NearDuplicates + b.NearDuplicates,
	}
	if a.Counts != nil || b.Counts != nil {
		n := max(len(a.Counts), len(b.Counts))
		out.Counts = make([]int64, n)
		out.Picks = make([][]Pick, n)
		for i := range n {
			if i < len(a.Counts) {
				out.Counts[i] += a.Counts[i]
			}
			if i < len(b.Counts) {
				out.Counts[i] += b.Counts[i]
			}
			var pa, pb []Pick
			if i < len(a.Picks) {
				pa = a.Picks[i]
			}
			if i < len(b.Picks) {
				pb = b.Picks[i]
			}
			out.Picks[i] = mergePicks(pa, pb, opt.Keep, sampleOrder(opt, center))
		}
	}
	out.Window = mergePicks(a.Window, b.Window, opt.Window, CompareTop)
	return out
}

// sampleOrder is the order a band's sample is kept in.
func sampleOrder(opt Options, center float64) func(x, y Pick) int {
	switch opt.Sampling {
	case Top:
		return CompareTop
	case SimANS:
		return func(x, y Pick) int {
			return compareScored(SimANSScore(x.Key, x.Sim, center, opt.SimANSA), x, SimANSScore(y.Key, y.Sim, center, opt.SimANSA), y)
		}
	}
	return CompareKeys
}

// mergePicks keeps the first keep of a and b together in order.
func mergePicks(a, b []Pick, keep int, order func(x, y Pick) int) []Pick {
	all := slices.Concat(a, b)
	slices.SortFunc(all, order)
	all = all[:min(len(all), keep)]
	if len(all) == 0 {
		return nil
	}
	return all
}
