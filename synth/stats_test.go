package synth

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"
)

// The notebook's bands.
const (
	easyLo, mediumLo, hardLo, hardHi = 0.3, 0.5, 0.7, 0.9
)

// bandStats is what the tests measure about a data set, with cosines in
// float64 from the float32 rows.
type bandStats struct {
	// Shares of random pairs of distinct terms by cosine.
	randBelow15, randLow, randEasy, randMedium, randHard, randAbove float64 // <0.15, [0.15,0.3), easy, medium, hard, >=0.9
	anchors                                                         int     // in-vocabulary anchors
	meanPositives                                                   float64 // over all anchors
	maxPositives                                                    int
	sampled                                                         int     // anchors measured for candidates
	zeroMedium, zeroHard, zeroEasy                                  float64 // share of sampled anchors with no candidate in the band
	mediumCounts, hardCounts                                        []int   // per sampled anchor, sorted
	groupPairs                                                      int
	groupHigh                                                       float64 // share of within-group pairs with cosine in [0.75, 0.95]
	groupLow                                                        float64 // share below 0.6
}

func rowNorms(d *Dataset) []float64 {
	dim := d.Config.Dim
	norms := make([]float64, len(d.Terms))
	for i := range norms {
		var s float64
		for _, x := range d.Embeddings[i*dim : (i+1)*dim] {
			s += float64(x) * float64(x)
		}
		norms[i] = math.Sqrt(s)
	}
	return norms
}

func cos64(d *Dataset, norms []float64, i, j int) float64 {
	dim := d.Config.Dim
	a, b := d.Embeddings[i*dim:][:dim], d.Embeddings[j*dim:][:dim]
	var s float64
	for k, x := range a {
		s += float64(x) * float64(b[k])
	}
	return s / (norms[i] * norms[j])
}

// positives maps each in-vocabulary anchor's row to its positives' rows,
// the way the notebook builds anchor_to_positives.
func positives(d *Dataset) map[int][]int {
	index := make(map[string]int, len(d.Terms))
	for i, t := range d.Terms {
		index[t] = i
	}
	pos := make(map[int][]int)
	for _, p := range d.Pairs {
		s, ok1 := index[p.Source]
		t, ok2 := index[p.Target]
		if !ok1 || !ok2 {
			continue
		}
		if !slices.Contains(pos[s], t) {
			pos[s] = append(pos[s], t)
		}
		if !slices.Contains(pos[t], s) {
			pos[t] = append(pos[t], s)
		}
	}
	return pos
}

func measure(d *Dataset, sample, randomPairs int) bandStats {
	var st bandStats
	norms := rowNorms(d)
	n := len(d.Terms)

	r := rand.New(rand.NewPCG(1, 2))
	for range randomPairs {
		i, j := r.IntN(n), r.IntN(n-1)
		if j >= i {
			j++
		}
		switch c := cos64(d, norms, i, j); {
		case c < 0.15:
			st.randBelow15++
		case c < easyLo:
			st.randLow++
		case c < mediumLo:
			st.randEasy++
		case c < hardLo:
			st.randMedium++
		case c < hardHi:
			st.randHard++
		default:
			st.randAbove++
		}
	}
	for _, p := range []*float64{&st.randBelow15, &st.randLow, &st.randEasy, &st.randMedium, &st.randHard, &st.randAbove} {
		*p /= float64(randomPairs)
	}

	pos := positives(d)
	anchors := make([]int, 0, len(pos))
	total := 0
	for a, ps := range pos {
		anchors = append(anchors, a)
		total += len(ps)
		st.maxPositives = max(st.maxPositives, len(ps))
	}
	slices.Sort(anchors)
	st.anchors = len(anchors)
	st.meanPositives = float64(total) / float64(len(anchors))

	for _, g := range d.Groups {
		for x := range g {
			for y := x + 1; y < len(g); y++ {
				c := cos64(d, norms, g[x], g[y])
				st.groupPairs++
				if c >= 0.75 && c < 0.95 {
					st.groupHigh++
				}
				if c < 0.6 {
					st.groupLow++
				}
			}
		}
	}
	st.groupHigh /= float64(st.groupPairs)
	st.groupLow /= float64(st.groupPairs)

	// Candidates of a spread-out sample of anchors, excluding the anchor
	// and its positives, as the notebook's mine_hard_negatives does.
	step := max(1, len(anchors)/sample)
	var picked []int
	for i := 0; i < len(anchors) && len(picked) < sample; i += step {
		picked = append(picked, anchors[i])
	}
	st.sampled = len(picked)
	easy := make([]int, len(picked))
	st.mediumCounts = make([]int, len(picked))
	st.hardCounts = make([]int, len(picked))
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for k := w; k < len(picked); k += 4 {
				a := picked[k]
				for j := range n {
					if j == a || slices.Contains(pos[a], j) {
						continue
					}
					switch c := cos64(d, norms, a, j); {
					case c >= hardHi || c < easyLo:
					case c >= hardLo:
						st.hardCounts[k]++
					case c >= mediumLo:
						st.mediumCounts[k]++
					default:
						easy[k]++
					}
				}
			}
		})
	}
	wg.Wait()
	for k := range picked {
		if easy[k] == 0 {
			st.zeroEasy++
		}
		if st.mediumCounts[k] == 0 {
			st.zeroMedium++
		}
		if st.hardCounts[k] == 0 {
			st.zeroHard++
		}
	}
	st.zeroEasy /= float64(st.sampled)
	st.zeroMedium /= float64(st.sampled)
	st.zeroHard /= float64(st.sampled)
	slices.Sort(st.mediumCounts)
	slices.Sort(st.hardCounts)
	return st
}

// quantile returns the q-quantile of sorted xs.
func quantile(xs []int, q float64) int {
	return xs[min(len(xs)-1, int(q*float64(len(xs))))]
}
