package synth

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"testing"
)

// heldOutCounts is what checkHeldOut finds: held-out pairs by kind, and all
// within-group pairs.
type heldOutCounts struct {
	edges, members, groupPairs int
}

// checkHeldOut checks the invariants of the held-out pairs that hold for any
// config: each is two members of one group that no pair lists in either
// direction, and each comes once; a held-out member is in no pair at all
// and is held out with every member of its group; and the two terms of a
// held-out edge keep a common listed neighbour, so they are 2 hops apart.
func checkHeldOut(t *testing.T, d *Dataset) heldOutCounts {
	t.Helper()
	index := make(map[string]int, len(d.Terms))
	for i, s := range d.Terms {
		index[s] = i
	}
	groupOf := make(map[int]int)
	var c heldOutCounts
	for g, rows := range d.Groups {
		for _, r := range rows {
			groupOf[r] = g
		}
		c.groupPairs += len(rows) * (len(rows) - 1) / 2
	}
	type key struct{ a, b int }
	ordered := func(a, b int) key { return key{min(a, b), max(a, b)} }

	listed := make(map[key]bool)
	neighbours := make(map[int][]int)
	named := make(map[string]bool) // every name in a pair, out-of-vocabulary pairs too
	for _, p := range d.Pairs {
		named[p.Source], named[p.Target] = true, true
		s, ok1 := index[p.Source]
		g, ok2 := index[p.Target]
		if ok1 && ok2 && !listed[ordered(s, g)] {
			listed[ordered(s, g)] = true
			neighbours[s] = append(neighbours[s], g)
			neighbours[g] = append(neighbours[g], s)
		}
	}

	isMember := make(map[int]bool)
	for _, m := range d.HeldOutMembers {
		g, ok := groupOf[m]
		if !ok || isMember[m] {
			t.Fatalf("held-out member %d %q is in no group, or named twice", m, d.Terms[m])
		}
		if d.Groups[g][0] == m {
			t.Fatalf("held-out member %q is its group's hub", d.Terms[m])
		}
		if named[d.Terms[m]] {
			t.Fatalf("held-out member %q is named in a listed pair", d.Terms[m])
		}
		isMember[m] = true
	}

	held := make(map[key]bool)
	for i, p := range d.HeldOutPairs {
		s, ok1 := index[p.Source]
		g, ok2 := index[p.Target]
		if !ok1 || !ok2 {
			t.Fatalf("held-out pair %d %q -> %q names a term not in the vocabulary", i, p.Source, p.Target)
		}
		gs, in1 := groupOf[s]
		gt, in2 := groupOf[g]
		if !in1 || !in2 || gs != gt || s == g {
			t.Fatalf("held-out pair %d %q -> %q is not two members of one group", i, p.Source, p.Target)
		}
		k := ordered(s, g)
		if listed[k] {
			t.Fatalf("held-out pair %d %q -> %q is listed in the pairs", i, p.Source, p.Target)
		}
		if held[k] {
			t.Fatalf("held-out pair %d %q -> %q comes twice", i, p.Source, p.Target)
		}
		held[k] = true
		if want := round4(cosine(d.Embeddings, d.Config.Dim, s, g)); p.Similarity != want {
			t.Fatalf("held-out pair %d has similarity %v, want %v", i, p.Similarity, want)
		}
		if isMember[s] || isMember[g] {
			c.members++
			continue
		}
		c.edges++
		common := false
		for _, x := range neighbours[s] {
			if slices.Contains(neighbours[g], x) {
				common = true
				break
			}
		}
		if !common {
			t.Fatalf("held-out edge %q -> %q: no common listed neighbour, so more than 2 hops apart", p.Source, p.Target)
		}
	}
	for _, m := range d.HeldOutMembers {
		for _, x := range d.Groups[groupOf[m]] {
			if x != m && !held[ordered(m, x)] {
				t.Fatalf("held-out member %q: its pair with %q is not held out", d.Terms[m], d.Terms[x])
			}
		}
	}
	return c
}

// TestHeldOut checks the held-out pairs of full-size configs: the
// invariants, the share of all within-group pairs, and both kinds.
func TestHeldOut(t *testing.T) {
	with := func(f func(*Config)) Config { c := DefaultConfig(); f(&c); return c }
	tests := []struct {
		name string
		cfg  Config
	}{
		{"default", DefaultConfig()},
		{"other seed", with(func(c *Config) { c.Seed = 7 })},
		{"a third", with(func(c *Config) { c.HeldOut = 0.3 })},
		{"a few", with(func(c *Config) { c.HeldOut = 0.02 })},
		{"mid", midHeldConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Generate(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			checkGroups(t, d)
			c := checkHeldOut(t, d)
			share := float64(len(d.HeldOutPairs)) / float64(c.groupPairs)
			t.Logf("%d of %d within-group pairs held out (%.4f): %d edges, %d pairs of %d members",
				len(d.HeldOutPairs), c.groupPairs, share, c.edges, c.members, len(d.HeldOutMembers))
			if math.Abs(share-tt.cfg.HeldOut) > 0.01 {
				t.Errorf("held-out share %.4f, want %.2f within 0.01", share, tt.cfg.HeldOut)
			}
			// Both kinds, neither of them marginal.
			if n := len(d.HeldOutPairs); c.edges < n/4 || c.members < n/4 {
				t.Errorf("held out %d edges and %d member pairs; want each at least a quarter", c.edges, c.members)
			}
		})
	}
}

// TestHeldOutOnlyOmits checks that holding pairs out changes nothing but the
// pairs it omits: the pairs file without them is the HeldOut 0 one, in the
// same order, and the terms, embeddings and groups are the same.
func TestHeldOutOnlyOmits(t *testing.T) {
	cfg := DefaultConfig()
	d, err := Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.HeldOut = 0
	all, err := Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(all.HeldOutPairs) != 0 || len(all.HeldOutMembers) != 0 {
		t.Fatalf("HeldOut 0 held out %d pairs and %d members", len(all.HeldOutPairs), len(all.HeldOutMembers))
	}
	if !slices.Equal(d.Terms, all.Terms) || !slices.Equal(d.Embeddings, all.Embeddings) ||
		!slices.EqualFunc(d.Groups, all.Groups, slices.Equal) || d.OOVPairs != all.OOVPairs {
		t.Fatal("terms, embeddings, groups or OOV pairs depend on HeldOut")
	}
	type key struct{ a, b string }
	held := make(map[key]Pair)
	for _, p := range d.HeldOutPairs {
		held[key{p.Source, p.Target}] = p
		held[key{p.Target, p.Source}] = p
	}
	i := 0
	for _, p := range all.Pairs {
		if i < len(d.Pairs) && p == d.Pairs[i] {
			i++
			continue
		}
		if _, ok := held[key{p.Source, p.Target}]; !ok {
			t.Fatalf("pair %q -> %q is missing, but not held out", p.Source, p.Target)
		}
	}
	if i != len(d.Pairs) {
		t.Fatalf("only %d of %d listed pairs are in the HeldOut 0 pairs, in order", i, len(d.Pairs))
	}
}

func TestHeldOutFile(t *testing.T) {
	for _, tt := range []struct {
		name    string
		heldOut float64
	}{{"default", DefaultHeldOut}, {"none", 0}} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.HeldOut = tt.heldOut
			d, err := Generate(cfg)
			if err != nil {
				t.Fatal(err)
			}
			raw := writeFiles(t, d)[HeldOutFile]
			if tt.heldOut == 0 {
				if len(raw) != 0 {
					t.Fatalf("HeldOut 0 wrote %d bytes to %s; want an empty file", len(raw), HeldOutFile)
				}
				return
			}
			if len(d.HeldOutPairs) == 0 {
				t.Fatal("no held-out pairs")
			}
			if bytes.Contains(raw, []byte(`\u`)) {
				t.Error("held-out file has \\u escapes; want raw UTF-8")
			}
			var got []Pair
			sc := bufio.NewScanner(bytes.NewReader(raw))
			for line := 1; sc.Scan(); line++ {
				if len(sc.Bytes()) == 0 {
					t.Fatalf("line %d is blank", line)
				}
				dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
				dec.DisallowUnknownFields()
				var p Pair
				if err := dec.Decode(&p); err != nil {
					t.Fatalf("line %d: %v", line, err)
				}
				got = append(got, p)
			}
			if !slices.Equal(got, d.HeldOutPairs) {
				t.Error("held-out pairs read back differ from Dataset.HeldOutPairs")
			}
		})
	}
}

// TestHeldOutSimilarity measures how similar the held-out synonyms are, in
// float64 from the float32 rows, by band: they should be as hard to tell
// from negatives as the listed synonyms are, so most sit in the hard band
// or above it.
func TestHeldOutSimilarity(t *testing.T) {
	d, err := Generate(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	norms := rowNorms(d)
	index := make(map[string]int, len(d.Terms))
	for i, s := range d.Terms {
		index[s] = i
	}
	isMember := make(map[int]bool)
	for _, m := range d.HeldOutMembers {
		isMember[m] = true
	}
	// Bands: below 0.5, medium, hard, 0.9 and above; for all pairs, edges
	// and member pairs.
	var n [3][4]int
	for _, p := range d.HeldOutPairs {
		s, g := index[p.Source], index[p.Target]
		band := 0
		switch c := cos64(d, norms, s, g); {
		case c >= hardHi:
			band = 3
		case c >= hardLo:
			band = 2
		case c >= mediumLo:
			band = 1
		}
		kind := 1
		if isMember[s] || isMember[g] {
			kind = 2
		}
		n[0][band]++
		n[kind][band]++
	}
	var share [3][4]float64
	for k, name := range []string{"all", "edges", "members"} {
		total := n[k][0] + n[k][1] + n[k][2] + n[k][3]
		for b := range 4 {
			share[k][b] = float64(n[k][b]) / float64(total)
		}
		t.Logf("%-7s %4d held-out pairs: below 0.5 %.3f, medium [0.5,0.7) %.3f, hard [0.7,0.9) %.3f, 0.9 and above %.3f",
			name, total, share[k][0], share[k][1], share[k][2], share[k][3])
	}
	if s := share[0][2] + share[0][3]; s < 0.8 {
		t.Errorf("%.3f of held-out pairs have cosine 0.7 or above; want most", s)
	}
	if share[0][2] < 0.5 {
		t.Errorf("%.3f of held-out pairs are in the hard band; want most", share[0][2])
	}
}
