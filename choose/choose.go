package choose

import (
	"slices"

	"github.com/hardneg/hardneg/scan"
)

// Negative is a chosen negative.
type Negative struct {
	Row  int32   // candidate row
	Sim  float32 // similarity to the anchor
	Band int     // band index
}

// Order is the order of preference among one anchor's candidates: by key
// for random sampling, most similar first for top, by SimANS score for
// SimANS. The picks of every band come in this order.
type Order func(x, y scan.Pick) int

// Sampler says how one anchor's candidates are ordered.
type Sampler struct {
	Sampling scan.Sampling
	// Center and A are SimANS's center (the anchor's s⁺ + b) and a.
	Center, A float64
}

// Order returns the sampler's order of preference.
func (s Sampler) Order() Order {
	switch s.Sampling {
	case scan.Top:
		return scan.CompareTop
	case scan.SimANS:
		return func(x, y scan.Pick) int {
			sx := scan.SimANSScore(x.Key, x.Sim, s.Center, s.A)
			sy := scan.SimANSScore(y.Key, y.Sim, s.Center, s.A)
			if sx != sy {
				if sx < sy {
					return -1
				}
				return 1
			}
			return scan.CompareKeys(x, y)
		}
	}
	return scan.CompareKeys
}

// Choose returns one anchor's negatives: the first quota[b] picks of each
// band (its picks are in the sampler's order, so with random sampling that
// is a uniform random sample), band by band. In Notebook mode, when that
// gives fewer than n, the gap is filled with the best picks left over in all
// bands together by order: with random sampling a uniform draw from the
// union of what remains, as the notebook's fill is. picks[b] must hold at
// least quota[b] entries.
func Choose(mode QuotaMode, quota []int, n int, picks [][]scan.Pick, order Order) []Negative {
	var out []Negative
	for b, q := range quota {
		if q > len(picks[b]) {
			panic("choose: quota exceeds the sampled picks")
		}
		for _, p := range picks[b][:q] {
			out = append(out, Negative{Row: p.Row, Sim: p.Sim, Band: b})
		}
	}
	if mode != Notebook || len(out) >= n {
		return out
	}
	type left struct {
		p    scan.Pick
		band int
	}
	var rest []left
	for b, q := range quota {
		for _, p := range picks[b][q:] {
			rest = append(rest, left{p, b})
		}
	}
	slices.SortFunc(rest, func(x, y left) int { return order(x.p, y.p) })
	for _, l := range rest[:min(n-len(out), len(rest))] {
		out = append(out, Negative{Row: l.p.Row, Sim: l.p.Sim, Band: l.band})
	}
	return out
}

// Window is a rank window: only candidates ranked Min..Max-1 by similarity
// may be negatives, rank 0 being the most similar candidate left after the
// exclusions and score limits. Max 0 means no upper end.
type Window struct{ Min, Max int }

// Candidates turns one anchor's scan result into what quotas and choice
// work on: each band's pool size and its picks in the sampler's order. With
// a window, the scan's Window holds the anchor's most similar candidates:
// with Max set, the window's candidates are the pools themselves; with only
// Min, the scan's band samples were taken Min larger, and the Min most
// similar candidates are removed from them.
func Candidates(r scan.Result, bands []scan.Band, w Window, order Order) (pools []int64, picks [][]scan.Pick) {
	switch {
	case w.Max > 0:
		pools = make([]int64, len(bands))
		picks = make([][]scan.Pick, len(bands))
		if w.Min < len(r.Window) {
			for _, p := range r.Window[w.Min:] {
				if b := scan.BandOf(bands, float64(p.Sim)); b >= 0 {
					pools[b]++
					picks[b] = append(picks[b], p)
				}
			}
		}
		for _, ps := range picks {
			slices.SortFunc(ps, order)
		}
		return pools, picks
	case w.Min > 0:
		pools = slices.Clone(r.Counts)
		picks = make([][]scan.Pick, len(bands))
		top := make(map[int32]bool, len(r.Window))
		for _, p := range r.Window {
			top[p.Row] = true
			if b := scan.BandOf(bands, float64(p.Sim)); b >= 0 {
				pools[b]--
			}
		}
		for b, ps := range r.Picks {
			for _, p := range ps {
				if !top[p.Row] {
					picks[b] = append(picks[b], p)
				}
			}
		}
		return pools, picks
	}
	return r.Counts, r.Picks
}

// CapReuse replaces each chosen negative that already serves limit anchors
// (uses counts them) by the next candidate of its band, in the band's order,
// that does not, and drops it when there is none. It returns the negatives
// and how many were replaced and dropped.
func CapReuse(negs []Negative, picks [][]scan.Pick, uses map[int32]int, limit int) (out []Negative, replaced, dropped int) {
	chosen := map[int32]bool{}
	for _, n := range negs {
		chosen[n.Row] = true
	}
	out = negs[:0:0]
	for _, n := range negs {
		if uses[n.Row] < limit {
			out = append(out, n)
			continue
		}
		found := false
		for _, p := range picks[n.Band] {
			if !chosen[p.Row] && uses[p.Row] < limit {
				chosen[p.Row] = true
				out = append(out, Negative{Row: p.Row, Sim: p.Sim, Band: n.Band})
				found = true
				break
			}
		}
		if found {
			replaced++
		} else {
			dropped++
		}
	}
	return out, replaced, dropped
}
