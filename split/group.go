package split

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
)

// ErrMode is wrapped by ParseMode and Mode.UnmarshalText for a name that is
// not a mode.
var ErrMode = errors.New("split: unknown mode")

// Mode is how rows are divided between the two splits.
type Mode int

const (
	// ModeRow is the notebook's split (ByRow): rows are cut one by one, so an
	// anchor's rows can land on both sides.
	ModeRow Mode = iota
	// ModeAnchor keeps every row of an anchor on one side.
	ModeAnchor
	// ModeComponent keeps every row whose anchor lies in one connected
	// component of the synonym graph on one side.
	ModeComponent
)

var modeNames = [...]string{ModeRow: "row", ModeAnchor: "anchor", ModeComponent: "component"}

// String returns the mode's name as ParseMode reads it.
func (m Mode) String() string {
	if m >= 0 && int(m) < len(modeNames) {
		return modeNames[m]
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// ParseMode reads a mode name: "row", "anchor" or "component".
func ParseMode(s string) (Mode, error) {
	for m, name := range modeNames {
		if s == name {
			return Mode(m), nil
		}
	}
	return 0, fmt.Errorf("%w %q (want row, anchor or component)", ErrMode, s)
}

// MarshalText writes the mode's name, so config files and the stats file
// carry "row" rather than a number.
func (m Mode) MarshalText() ([]byte, error) {
	if m < 0 || int(m) >= len(modeNames) {
		return nil, fmt.Errorf("split: marshal mode: %v is not a mode", m)
	}
	return []byte(modeNames[m]), nil
}

// UnmarshalText reads a mode name with ParseMode.
func (m *Mode) UnmarshalText(b []byte) error {
	v, err := ParseMode(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// ByMode divides the rows of a triplet table whose row i has anchor term
// anchor[i]. ModeRow is exactly ByRow(len(anchor), ...); ModeAnchor groups
// rows by anchor term; ModeComponent groups them by comp[anchor[i]], where
// comp comes from Components and must be given. comp is not read otherwise.
func ByMode(m Mode, anchor []int32, comp []int32, trainRatio float64, seed uint64) (train, val []int, err error) {
	switch m {
	case ModeRow:
		return ByRow(len(anchor), trainRatio, seed)
	case ModeAnchor:
		return ByGroup(anchor, trainRatio, seed)
	case ModeComponent:
		if comp == nil {
			return nil, nil, errors.New("split: component mode needs the component labels")
		}
		key := make([]int32, len(anchor))
		for i, a := range anchor {
			if a < 0 || int(a) >= len(comp) {
				return nil, nil, fmt.Errorf("split: row %d: anchor term %d outside the %d labelled terms", i, a, len(comp))
			}
			key[i] = comp[a]
		}
		return ByGroup(key, trainRatio, seed)
	default:
		return nil, nil, fmt.Errorf("split: %v is not a mode", m)
	}
}

// ByGroup divides rows so that all rows with the same key land on the same
// side; key[i] is the group of row i (an anchor's term row, or its component).
//
// The distinct keys are sorted, then put in a random order by Fisher–Yates
// with a PCG seeded from seed alone. Walking that order, a group goes to the
// training split while the training split holds fewer than
// TrainCount(len(key), trainRatio) rows; every later group goes to
// validation. So training gets at least the target and overshoots it by less
// than the size of the last group it took; with one row per key the counts
// are ByRow's. Rows are then shuffled within each side by the same generator,
// so neither side is ordered by group.
//
// The result depends only on seed and on which rows share which key, not on
// the order in which keys first appear.
func ByGroup(key []int32, trainRatio float64, seed uint64) (train, val []int, err error) {
	if !(trainRatio >= 0 && trainRatio <= 1) {
		return nil, nil, fmt.Errorf("split: train ratio %v is not in [0, 1]", trainRatio)
	}
	n := len(key)

	// Group the rows: keys sorted and deduplicated, then each group's rows in
	// a contiguous run of rows (counting sort by group index).
	keys := slices.Clone(key)
	slices.Sort(keys)
	keys = slices.Compact(keys)
	group := make([]int32, n)
	start := make([]int, len(keys)+1)
	for i, k := range key {
		g, _ := slices.BinarySearch(keys, k)
		group[i] = int32(g)
		start[g+1]++
	}
	for g := range keys {
		start[g+1] += start[g]
	}
	rows := make([]int, n)
	next := slices.Clone(start[:len(keys)])
	for i, g := range group {
		rows[next[g]] = i
		next[g]++
	}

	r := rand.New(rand.NewPCG(seed, 0x67726f7570)) // "group"
	order := make([]int32, len(keys))
	for g := range order {
		order[g] = int32(g)
	}
	fisherYates(r, order)

	target := TrainCount(n, trainRatio)
	train = make([]int, 0, target)
	val = make([]int, 0, n-target)
	for _, g := range order {
		members := rows[start[g]:start[g+1]]
		if len(train) < target {
			train = append(train, members...)
		} else {
			val = append(val, members...)
		}
	}
	fisherYates(r, train)
	fisherYates(r, val)
	return train, val, nil
}

// fisherYates shuffles s in place with r, with the same loop as Shuffle.
func fisherYates[T any](r *rand.Rand, s []T) {
	for i := len(s) - 1; i > 0; i-- {
		j := int(r.Uint64N(uint64(i + 1)))
		s[i], s[j] = s[j], s[i]
	}
}
