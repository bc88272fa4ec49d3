// Package split shuffles rows with a seed and divides them into a training
// and a validation split.
//
// ByRow is the notebook's split: rows are shuffled and cut at
// int(rows·trainRatio), so the same anchor can land on both sides and a model
// is validated on anchors it trained on. ByGroup keeps whole groups of rows on
// one side instead: all rows of an anchor (ModeAnchor), or all rows whose
// anchors share a connected component of the synonym graph (ModeComponent,
// with Components labelling the graph), so no synonym group straddles the
// split. MeasureOverlap reports how much any split leaks.
//
// The package divides row indices only; it does not read or write triplets.
package split

import (
	"fmt"
	"math/rand/v2"
)

// Shuffle returns a permutation of [0, n) drawn from seed with Fisher–Yates.
// The generator is PCG seeded from seed alone, so the permutation depends on
// nothing but (seed, n).
func Shuffle(n int, seed uint64) []int {
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	r := rand.New(rand.NewPCG(seed, 0x73706c6974)) // "split"
	for i := n - 1; i > 0; i-- {
		j := int(r.Uint64N(uint64(i + 1)))
		perm[i], perm[j] = perm[j], perm[i]
	}
	return perm
}

// TrainCount is the notebook's int(n·trainRatio).
func TrainCount(n int, trainRatio float64) int {
	return int(float64(n) * trainRatio)
}

// ByRow shuffles n rows and returns the row order of the training split and
// of the validation split.
func ByRow(n int, trainRatio float64, seed uint64) (train, val []int, err error) {
	if !(trainRatio >= 0 && trainRatio <= 1) {
		return nil, nil, fmt.Errorf("split: train ratio %v is not in [0, 1]", trainRatio)
	}
	perm := Shuffle(n, seed)
	k := TrainCount(n, trainRatio)
	return perm[:k], perm[k:], nil
}
