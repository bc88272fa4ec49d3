package split

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/hardneg/hardneg/source"
)

func TestComponentsHandMade(t *testing.T) {
	// 0-1-2-3 a chain, given both ways; 4 alone; 5-6-7 a triangle given one
	// way; 8 alone; 9-10 a pair; 11 alone.
	anchors := []source.Anchor{
		{Query: 2, Positives: []int32{1, 3}},
		{Query: 0, Positives: []int32{1}},
		{Query: 1, Positives: []int32{0, 2}},
		{Query: 3, Positives: []int32{2}},
		{Query: 7, Positives: []int32{5}},
		{Query: 5, Positives: []int32{6}},
		{Query: 6, Positives: []int32{7}},
		{Query: 10, Positives: []int32{9}},
	}
	comp, err := anchorComponents(12, anchors)
	if err != nil {
		t.Fatal(err)
	}
	want := []int32{0, 0, 0, 0, 1, 2, 2, 2, 3, 4, 4, 5}
	if !slices.Equal(comp, want) {
		t.Fatalf("components %v, want %v", comp, want)
	}
	dist, largest := ComponentSizes(comp)
	wantDist := []SizeCount{{1, 3}, {2, 1}, {3, 1}, {4, 1}}
	if !slices.Equal(dist, wantDist) || largest != 4 {
		t.Fatalf("sizes %v, largest %d; want %v, 4", dist, largest, wantDist)
	}
}

func TestComponentsGiantChain(t *testing.T) {
	// One chain over most terms, its links given backwards and one way, so
	// union by size and path compression have work to do; plus a few
	// singletons at the end.
	const n, chain = 300000, 299990
	anchors := make([]source.Anchor, 0, chain-1)
	for i := chain - 1; i > 0; i-- {
		anchors = append(anchors, source.Anchor{Query: int32(i), Positives: []int32{int32(i - 1)}})
	}
	comp, err := anchorComponents(n, anchors)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range comp {
		want := int32(0)
		if i >= chain {
			want = int32(i - chain + 1)
		}
		if c != want {
			t.Fatalf("term %d in component %d, want %d", i, c, want)
		}
	}
	dist, largest := ComponentSizes(comp)
	if want := []SizeCount{{1, n - chain}, {chain, 1}}; !slices.Equal(dist, want) || largest != chain {
		t.Fatalf("sizes %v, largest %d; want %v, %d", dist, largest, want, chain)
	}
}

// bfsComponents is the reference: breadth-first search from each unlabelled
// term in increasing order, which numbers components by their smallest term
// as Components does.
// anchorComponents is Components over source anchors.
func anchorComponents(n int, anchors []source.Anchor) ([]int32, error) {
	at := make([]int32, len(anchors))
	pos := make([][]int32, len(anchors))
	for i, a := range anchors {
		at[i], pos[i] = a.Query, a.Positives
	}
	return Components(n, at, pos)
}

func bfsComponents(n int, anchors []source.Anchor) []int32 {
	adj := make([][]int32, n)
	for _, a := range anchors {
		for _, p := range a.Positives {
			adj[a.Query] = append(adj[a.Query], p)
			adj[p] = append(adj[p], a.Query)
		}
	}
	comp := make([]int32, n)
	for i := range comp {
		comp[i] = -1
	}
	next := int32(0)
	for s := range n {
		if comp[s] >= 0 {
			continue
		}
		comp[s] = next
		queue := []int32{int32(s)}
		for len(queue) > 0 {
			u := queue[0]
			queue = queue[1:]
			for _, v := range adj[u] {
				if comp[v] < 0 {
					comp[v] = next
					queue = append(queue, v)
				}
			}
		}
		next++
	}
	return comp
}

func TestComponentsMatchesBFS(t *testing.T) {
	for _, tc := range []struct {
		name  string
		n     int
		edges int
	}{
		{"sparse", 2000, 600},
		{"near the giant threshold", 2000, 1000},
		{"dense", 2000, 4000},
		{"tiny", 5, 3},
		{"no edges", 50, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for seed := range uint64(5) {
				r := rand.New(rand.NewPCG(seed, 2))
				var anchors []source.Anchor
				for range tc.edges {
					a := source.Anchor{Query: int32(r.IntN(tc.n))}
					for range 1 + r.IntN(2) {
						a.Positives = append(a.Positives, int32(r.IntN(tc.n)))
					}
					anchors = append(anchors, a)
				}
				got, err := anchorComponents(tc.n, anchors)
				if err != nil {
					t.Fatal(err)
				}
				if want := bfsComponents(tc.n, anchors); !slices.Equal(got, want) {
					t.Fatalf("seed %d: union-find and BFS disagree", seed)
				}
			}
		})
	}
}

func TestComponentsRefusesOutOfRange(t *testing.T) {
	for _, tc := range []struct {
		name    string
		anchors []source.Anchor
	}{
		{"anchor too large", []source.Anchor{{Query: 4, Positives: []int32{0}}}},
		{"positive too large", []source.Anchor{{Query: 0, Positives: []int32{1, 9}}}},
		{"negative term", []source.Anchor{{Query: -1, Positives: []int32{0}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := anchorComponents(4, tc.anchors); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestComponentSizesEmpty(t *testing.T) {
	if dist, largest := ComponentSizes(nil); len(dist) != 0 || largest != 0 {
		t.Fatalf("sizes %v, largest %d for no terms", dist, largest)
	}
}
