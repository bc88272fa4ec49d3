package source

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"unicode/utf8"
)

// PairStats counts what reading a pairs file found.
type PairStats struct {
	Lines      int `json:"lines"`       // lines read, blank ones included
	Blank      int `json:"blank_lines"` // lines holding only white space
	Pairs      int `json:"pairs"`       // JSON objects read
	Used       int `json:"used"`        // pairs that linked two vocabulary terms
	SkippedOOV int `json:"skipped_out_of_vocabulary"`
	// SkippedSelf counts pairs whose source equals their target; the notebook
	// would make such a term its own positive, which teaches nothing.
	SkippedSelf int `json:"skipped_self"`
	// AlreadyLinked counts pairs whose two terms were already linked, for
	// example the second direction of a pair listed both ways.
	AlreadyLinked int `json:"already_linked"`
}

// Skipped is the number of pairs that produced no link.
func (s PairStats) Skipped() int { return s.SkippedOOV + s.SkippedSelf }

// pairLine is one line of the pairs file. Unknown fields are ignored; the
// known ones are checked for type so that a shifted column is caught early.
type pairLine struct {
	Source     *string  `json:"source"`
	Target     *string  `json:"target"`
	Similarity *float64 `json:"similarity"`
}

// ReadPairs reads a synonym pairs file and builds the anchors, both directions
// of every pair whose two terms are in the term list v. Anchors come in the
// order the file first names them, which makes the output order independent
// of map order.
func ReadPairs(path string, v *Side) ([]Anchor, PairStats, error) {
	anchors, stats, _, err := readPairsFile(path, v)
	return anchors, stats, err
}

// readPairsFile is ReadPairs, with the digest of what it read.
func readPairsFile(path string, v *Side) ([]Anchor, PairStats, Digest, error) {
	f, err := openHashed(path)
	if err != nil {
		return nil, PairStats{}, Digest{}, fmt.Errorf("source: read pairs: %w", err)
	}
	defer f.Close()
	anchors, stats, err := readPairs(f, v)
	if err != nil {
		return nil, stats, Digest{}, fmt.Errorf("source: %s: %w", path, err)
	}
	d, err := f.digest()
	if err != nil {
		return nil, stats, Digest{}, fmt.Errorf("source: %w", err)
	}
	return anchors, stats, d, nil
}

func readPairs(r io.Reader, v *Side) ([]Anchor, PairStats, error) {
	var stats PairStats
	b := newAnchorBuilder()
	err := eachLine(r, func(line []byte, num int) error {
		stats.Lines++
		return parsePairLine(line, num, v, b, &stats)
	})
	if err != nil {
		return nil, stats, err
	}
	if stats.Pairs == 0 {
		return nil, stats, fmt.Errorf("%w: the file holds no pairs (%d lines)", ErrNoPairs, stats.Lines)
	}
	if stats.Used == 0 {
		return nil, stats, fmt.Errorf("%w: none of the %d pairs has both terms in the term list (%d out of vocabulary, %d self-pairs)",
			ErrNoPairs, stats.Pairs, stats.SkippedOOV, stats.SkippedSelf)
	}
	return b.anchors(), stats, nil
}

func parsePairLine(line []byte, lineNum int, v *Side, b *anchorBuilder, stats *PairStats) error {
	var p pairLine
	blank, err := decodeObject(line, lineNum, ErrPairs, &p, "similarity")
	if err != nil {
		return err
	}
	if blank {
		stats.Blank++
		return nil
	}
	switch {
	case p.Source == nil && p.Target == nil:
		return fmt.Errorf("%w: line %d: missing \"source\" and \"target\"", ErrPairs, lineNum)
	case p.Source == nil:
		return fmt.Errorf("%w: line %d: missing \"source\"", ErrPairs, lineNum)
	case p.Target == nil:
		return fmt.Errorf("%w: line %d: missing \"target\"", ErrPairs, lineNum)
	}
	stats.Pairs++
	src, okS := v.Lookup(*p.Source)
	dst, okT := v.Lookup(*p.Target)
	switch {
	case !okS || !okT:
		stats.SkippedOOV++
	case src == dst:
		stats.SkippedSelf++
	default:
		stats.Used++
		if !b.link(src, dst) {
			stats.AlreadyLinked++
		}
	}
	return nil
}

func jsonKind(b []byte) string {
	switch b[0] {
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	if b[0] == '-' || (b[0] >= '0' && b[0] <= '9') {
		return "a number"
	}
	return fmt.Sprintf("%q", truncate(b, 20))
}

// truncate shortens b to at most n bytes without splitting a character.
func truncate(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	for n > 0 && !utf8.RuneStart(b[n]) {
		n--
	}
	return string(b[:n]) + "..."
}

func describeDecodeError(err error, indent int, numberFields []string) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		want := "a string"
		if slices.Contains(numberFields, te.Field) {
			want = "a number"
		}
		return fmt.Sprintf("field %q: want %s, found %s", te.Field, want, te.Value)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("column %d: malformed JSON: %v", int(se.Offset)+indent, se)
	}
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return "malformed JSON: unexpected end of line"
	}
	return "malformed JSON: " + err.Error()
}

// anchorBuilder links terms in both directions, keeping first-seen order.
type anchorBuilder struct {
	order []int32           // anchors in first-seen order
	pos   map[int32][]int32 // anchor -> positives in first-seen order
	seen  map[[2]int32]bool // directed links already made
}

func newAnchorBuilder() *anchorBuilder {
	return &anchorBuilder{pos: map[int32][]int32{}, seen: map[[2]int32]bool{}}
}

// link records a -> b and b -> a, and reports whether the pair was new.
func (b *anchorBuilder) link(x, y int32) bool {
	newXY := b.add(x, y)
	newYX := b.add(y, x)
	return newXY || newYX
}

func (b *anchorBuilder) add(a, p int32) bool {
	if b.seen[[2]int32{a, p}] {
		return false
	}
	b.seen[[2]int32{a, p}] = true
	if _, ok := b.pos[a]; !ok {
		b.order = append(b.order, a)
	}
	b.pos[a] = append(b.pos[a], p)
	return true
}

func (b *anchorBuilder) anchors() []Anchor {
	out := make([]Anchor, len(b.order))
	for i, a := range b.order {
		out[i] = Anchor{Query: a, Positives: b.pos[a]}
	}
	return out
}
