package synth

import "math/bits"

// HeldOutFile is the name WriteDir gives the held-out synonym pairs. It is
// ground truth for evaluating a mining run (which of its negatives are true
// synonyms), not an input of mine: the pipeline never reads it.
const HeldOutFile = "heldout_synonym_pairs.jsonl"

// Held-out pairs come in two kinds, split about evenly by number of pairs:
//
//   - an edge: one synonym edge of a group left out while the group's other
//     edges are listed. Its two terms keep a common listed neighbour, so they
//     are 2 hops apart in the listed graph and the group stays connected: a
//     guard that excludes terms within 2 hops, or the anchor's whole
//     component, catches it.
//   - a member: one non-hub member of a group of 3 or more left out of every
//     pair, listed or out-of-vocabulary; every pair of it with another member
//     of its group is held out. No graph guard can catch it: only its vectors
//     (as close to the group as the listed positives are) and its name (often
//     a variant of the hub's) give it away.
//
// The rest of each group stays listed and connected, so no group loses its
// last listed pair.

// holdOut picks the held-out pairs of l and returns the pairs file's lines
// without them (in the same order), the held-out pairs (group by group in
// the order drawn, each pair once) and the rows of the held-out members. With
// cfg.HeldOut 0 it returns l.pairs untouched. The choice has its own random
// stream, so the rest of the data set does not depend on it.
func holdOut(cfg Config, terms []string, emb []float32, l *listing) (listed, held []Pair, members []int) {
	total := 0
	for _, g := range l.groups {
		total += len(g) * (len(g) - 1) / 2
	}
	target := int(cfg.HeldOut*float64(total) + 0.5)
	if target == 0 {
		return l.pairs, nil, nil
	}
	r := newRand(cfg.Seed, streamHeldOut, 0)

	// The listed graph of each group, as bit masks over local indices
	// (groups have at most 10 members).
	adj := make([][]uint16, len(l.groups))
	alive := make([]uint16, len(l.groups))
	for g, rows := range l.groups {
		adj[g] = make([]uint16, len(rows))
		alive[g] = 1<<len(rows) - 1
	}
	edgeID := make(map[[3]int32]int, len(l.edges))
	for id, e := range l.edges {
		adj[e.group][e.i] |= 1 << e.j
		adj[e.group][e.j] |= 1 << e.i
		edgeID[[3]int32{e.group, e.i, e.j}] = id
	}
	inOOV := make(map[int]bool, len(l.oovRow))
	for _, row := range l.oovRow {
		inOOV[row] = true
	}

	// Members first, up to half the target: each costs k-1 pairs.
	type cand struct{ g, m int }
	var cands []cand
	for g, rows := range l.groups {
		if len(rows) < 3 {
			continue
		}
		for m := 1; m < len(rows); m++ {
			if !inOOV[rows[m]] {
				cands = append(cands, cand{g, m})
			}
		}
	}
	r.Shuffle(len(cands), func(i, j int) { cands[i], cands[j] = cands[j], cands[i] })
	n := 0
	for _, c := range cands {
		cost := len(l.groups[c.g]) - 1
		if n+cost > target/2 || alive[c.g] != 1<<len(l.groups[c.g])-1 {
			continue // over budget, or the group already lost a member
		}
		rest := alive[c.g] &^ (1 << c.m)
		if !connected(adj[c.g], rest) {
			continue
		}
		alive[c.g] = rest
		members = append(members, l.groups[c.g][c.m])
		n += cost
	}

	// Then edges whose two terms keep a common listed neighbour, as must
	// the edges held out before them in their group: each held-out edge
	// then has a listed path of 2 in its place, so the group stays
	// connected.
	removed := make([]bool, len(l.edges))
	heldIn := make(map[int32][]edge)
	keepsNeighbour := func(a []uint16, live uint16, e edge) bool { return a[e.i]&a[e.j]&live != 0 }
	for _, id := range r.Perm(len(l.edges)) {
		if n >= target {
			break
		}
		e := l.edges[id]
		live := alive[e.group]
		if live&(1<<e.i) == 0 || live&(1<<e.j) == 0 {
			continue
		}
		a := adj[e.group]
		a[e.i] &^= 1 << e.j
		a[e.j] &^= 1 << e.i
		ok := keepsNeighbour(a, live, e)
		for _, f := range heldIn[e.group] {
			ok = ok && keepsNeighbour(a, live, f)
		}
		if !ok { // put it back
			a[e.i] |= 1 << e.j
			a[e.j] |= 1 << e.i
			continue
		}
		heldIn[e.group] = append(heldIn[e.group], e)
		removed[id] = true
		n++
	}

	for g, rows := range l.groups {
		for i := range rows {
			for j := i + 1; j < len(rows); j++ {
				id, ok := edgeID[[3]int32{int32(g), int32(i), int32(j)}]
				out := alive[g]&(1<<i) == 0 || alive[g]&(1<<j) == 0
				switch {
				case ok && (out || removed[id]):
					held = append(held, l.edges[id].first)
				case out:
					p := Pair{Source: terms[rows[i]], Target: terms[rows[j]], Similarity: round4(cosine(emb, cfg.Dim, rows[i], rows[j]))}
					decorate(r, &p)
					held = append(held, p)
				}
			}
		}
	}

	listed = make([]Pair, 0, len(l.pairs))
	for k, p := range l.pairs {
		if id := l.edgeOf[k]; id >= 0 {
			e := l.edges[id]
			if removed[id] || alive[e.group]&(1<<e.i) == 0 || alive[e.group]&(1<<e.j) == 0 {
				continue
			}
		}
		listed = append(listed, p)
	}
	return listed, held, members
}

// connected reports whether the members in mask are connected by adj.
func connected(adj []uint16, mask uint16) bool {
	if mask == 0 {
		return true
	}
	seen := mask & -mask
	for frontier := seen; frontier != 0; {
		i := bits.TrailingZeros16(frontier)
		frontier &^= 1 << i
		next := adj[i] & mask &^ seen
		seen |= next
		frontier |= next
	}
	return seen == mask
}
