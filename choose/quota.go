package choose

import (
	"fmt"
)

// QuotaMode is how band quotas are set.
type QuotaMode int

const (
	Balanced QuotaMode = iota
	Notebook
)

func (m QuotaMode) String() string {
	switch m {
	case Balanced:
		return "balanced"
	case Notebook:
		return "notebook"
	}
	return fmt.Sprintf("QuotaMode(%d)", int(m))
}

// ParseQuotaMode parses "balanced" or "notebook".
func ParseQuotaMode(s string) (QuotaMode, error) {
	switch s {
	case "balanced":
		return Balanced, nil
	case "notebook":
		return Notebook, nil
	}
	return 0, fmt.Errorf("unknown quota mode %q (want balanced or notebook)", s)
}

// MarshalText writes the mode's name.
func (m QuotaMode) MarshalText() ([]byte, error) {
	if m != Balanced && m != Notebook {
		return nil, fmt.Errorf("choose: marshal quota mode: %v is not a mode", m)
	}
	return []byte(m.String()), nil
}

// UnmarshalText reads a mode's name.
func (m *QuotaMode) UnmarshalText(b []byte) error {
	v, err := ParseQuotaMode(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// Quotas returns, for every anchor, how many negatives it takes from each
// band. ratios has one entry per band, n is the number of negatives per
// anchor, weights[a] is how many triplets one negative of anchor a makes (its
// number of positives) and pools[a][b] is how many candidates anchor a has in
// band b.
//
// In Balanced mode each anchor's quotas sum to min(n, its candidates in bands
// with a positive ratio). In
// Notebook mode they are the notebook's truncated quotas capped by the pools;
// Choose then fills the gap as the notebook does.
func Quotas(mode QuotaMode, ratios []float64, n int, weights []int, pools [][]int64) [][]int {
	return QuotasCapped(mode, ratios, n, 0, weights, pools)
}

// QuotasCapped is Quotas with a cap on what one anchor takes from one band
// in Balanced mode (0: none). Without it, the balanced quota meets the
// ratios over the whole data set by loading a band onto the anchors that
// have its candidates: some anchors get all their negatives from the hard
// band while others get none. With it, an anchor whose other bands run dry
// gets fewer than n negatives.
func QuotasCapped(mode QuotaMode, ratios []float64, n, perBand int, weights []int, pools [][]int64) [][]int {
	if len(weights) != len(pools) {
		panic("choose: weights and pools differ in length")
	}
	out := make([][]int, len(pools))
	flat := make([]int, len(pools)*len(ratios))
	for a := range out {
		out[a] = flat[a*len(ratios) : (a+1)*len(ratios) : (a+1)*len(ratios)]
	}
	switch mode {
	case Notebook:
		base := NotebookQuota(ratios, n)
		for a, pool := range pools {
			for b := range ratios {
				out[a][b] = int(min(int64(base[b]), pool[b]))
			}
		}
	default:
		balanced(ratios, n, perBand, weights, pools, out)
	}
	return out
}

// NotebookQuota is the notebook's split of n: int(n·ratio) for each band but
// the last, which gets the rest.
func NotebookQuota(ratios []float64, n int) []int {
	q := make([]int, len(ratios))
	rest := n
	for b := 0; b < len(ratios)-1; b++ {
		q[b] = int(float64(n) * ratios[b])
		rest -= q[b]
	}
	q[len(q)-1] = max(rest, 0)
	return q
}

// balanced assigns slots greedily; perBand > 0 caps each band's quota. Anchors are visited in order; each slot
// goes to the band with the smallest (triplets so far)/ratio among the bands
// that still have candidates for this anchor, the lowest band on a tie.
// Measured against its ratio, the band furthest behind catches up first, so
// the global shares converge on the ratios, and when a band runs dry its
// share is spread over the others in proportion to their ratios. A band with
// ratio 0 is never used.
func balanced(ratios []float64, n, perBand int, weights []int, pools [][]int64, out [][]int) {
	nb := len(ratios)
	achieved := make([]float64, nb) // triplets per band so far
	capped := make([]int64, nb)
	for a, pool := range pools {
		if perBand > 0 {
			for b, p := range pool {
				capped[b] = min(p, int64(perBand))
			}
			pool = capped
		}
		var avail int64
		for b, p := range pool {
			if ratios[b] > 0 {
				avail += p
			}
		}
		m := int(min(int64(n), avail))
		w := float64(weights[a])
		q := out[a]
		for range m {
			best, bestLoad := -1, 0.0
			for b := range nb {
				if ratios[b] <= 0 || int64(q[b]) >= pool[b] {
					continue
				}
				load := (achieved[b] + w*float64(q[b])) / ratios[b]
				if best < 0 || load < bestLoad {
					best, bestLoad = b, load
				}
			}
			q[best]++
		}
		for b := range nb {
			achieved[b] += w * float64(q[b])
		}
	}
}
