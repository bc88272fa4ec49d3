package split

import (
	"fmt"
	"slices"
)

// Components labels every vertex of a positives graph (for the synonym job,
// every term) with its connected component. The graph has nTerms vertices
// and an edge from each anchors[i] to each of positives[i] (one direction
// suffices). comp[t] is the component of vertex t for t < nTerms;
// components are numbered 0, 1, ... in order of their smallest vertex, so
// the labels do not depend on the order of anchors or positives. A vertex
// in no edge is a component of its own.
//
// It is a union–find with path compression and union by size: near-linear
// in nTerms plus the number of edges, without recursion, so one giant
// component costs no more than many small ones.
func Components(nTerms int, anchors []int32, positives [][]int32) ([]int32, error) {
	if len(positives) != len(anchors) {
		return nil, fmt.Errorf("split: components: %d anchors, %d positive lists", len(anchors), len(positives))
	}
	parent := make([]int32, nTerms)
	size := make([]int32, nTerms)
	for t := range parent {
		parent[t] = int32(t)
		size[t] = 1
	}
	find := func(t int32) int32 {
		root := t
		for parent[root] != root {
			root = parent[root]
		}
		for parent[t] != root {
			parent[t], t = root, parent[t]
		}
		return root
	}
	inRange := func(t int32) bool { return t >= 0 && int(t) < nTerms }
	for i, a := range anchors {
		if !inRange(a) {
			return nil, fmt.Errorf("split: components: anchor %d: vertex %d outside the %d vertices", i, a, nTerms)
		}
		for _, p := range positives[i] {
			if !inRange(p) {
				return nil, fmt.Errorf("split: components: anchor %d: positive %d outside the %d vertices", i, p, nTerms)
			}
			x, y := find(a), find(p)
			if x == y {
				continue
			}
			if size[x] < size[y] {
				x, y = y, x
			}
			parent[y] = x
			size[x] += size[y]
		}
	}

	// Relabel roots densely in order of each component's smallest term; size
	// is reused as the root → label map (labels are < nTerms).
	comp := make([]int32, nTerms)
	for t := range size {
		size[t] = -1
	}
	next := int32(0)
	for t := range comp {
		root := find(int32(t))
		if size[root] < 0 {
			size[root] = next
			next++
		}
		comp[t] = size[root]
	}
	return comp, nil
}

// SizeCount is one entry of a component size distribution: Components
// components hold Size terms each.
type SizeCount struct {
	Size       int `json:"size"`
	Components int `json:"components"`
}

// ComponentSizes returns the distribution of component sizes in comp (as
// Components labels it), by increasing size, and the size of the largest
// component. Every term counts, so the entry of size 1 includes the terms in
// no pair. A slice rather than a map keeps the stats file ordered by size.
func ComponentSizes(comp []int32) (dist []SizeCount, largest int) {
	n := 0
	for _, c := range comp {
		n = max(n, int(c)+1)
	}
	size := make([]int, n)
	for _, c := range comp {
		size[c]++
	}
	count := map[int]int{}
	for _, s := range size {
		if s > 0 {
			count[s]++
			largest = max(largest, s)
		}
	}
	for s, k := range count {
		dist = append(dist, SizeCount{Size: s, Components: k})
	}
	slices.SortFunc(dist, func(a, b SizeCount) int { return a.Size - b.Size })
	return dist, largest
}
