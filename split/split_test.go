package split

import (
	"slices"
	"testing"
)

func TestByRow(t *testing.T) {
	for _, tc := range []struct {
		name      string
		n         int
		ratio     float64
		wantTrain int
	}{
		{"notebook scale", 350810, 0.9, 315729},
		{"small", 10, 0.9, 9},
		{"truncates", 7, 0.5, 3},
		{"all train", 5, 1, 5},
		{"all validation", 5, 0, 0},
		{"empty", 0, 0.9, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			train, val, err := ByRow(tc.n, tc.ratio, 42)
			if err != nil {
				t.Fatal(err)
			}
			if len(train) != tc.wantTrain || len(val) != tc.n-tc.wantTrain {
				t.Fatalf("split %d/%d, want %d/%d", len(train), len(val), tc.wantTrain, tc.n-tc.wantTrain)
			}
			all := slices.Concat(train, val)
			slices.Sort(all)
			for i, v := range all {
				if v != i {
					t.Fatalf("rows are not a permutation: position %d holds %d", i, v)
				}
			}
		})
	}
}

func TestShuffleDependsOnSeedOnly(t *testing.T) {
	a, b, c := Shuffle(1000, 42), Shuffle(1000, 42), Shuffle(1000, 43)
	if !slices.Equal(a, b) {
		t.Fatal("same seed gave different permutations")
	}
	if slices.Equal(a, c) {
		t.Fatal("different seeds gave the same permutation")
	}
	moved := 0
	for i, v := range a {
		if i != v {
			moved++
		}
	}
	if moved < 900 {
		t.Fatalf("only %d of 1000 rows moved: not shuffled", moved)
	}
}

func TestByRowRefusesBadRatio(t *testing.T) {
	for _, r := range []float64{-0.1, 1.5} {
		if _, _, err := ByRow(10, r, 1); err == nil {
			t.Errorf("ratio %v accepted", r)
		}
	}
}
