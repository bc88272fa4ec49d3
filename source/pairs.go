package source

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
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
	// MatchedNFC counts pair terms that match no term of the list as they
	// are, but match one once both are in Unicode NFC: a pairs file in NFD
	// (decomposed Hangul, as macOS file names and some pipelines write)
	// against an NFC term list, or the other way round.
	MatchedNFC int `json:"matched_nfc,omitempty"`
	// OOV says why the pairs out of vocabulary were, for a warning.
	OOV OOVReasons `json:"-"`
}

// Skipped is the number of pairs that produced no link.
func (s PairStats) Skipped() int { return s.SkippedOOV + s.SkippedSelf }

// OOVReasons breaks the pairs out of vocabulary down by cause.
type OOVReasons struct {
	Source, Target, Both int // pairs whose source, target or both are not terms
	// NearMiss counts missing terms that equal a term of the list but for
	// letter case or surrounding white space.
	NearMiss int
	// Examples holds the first NExamples missing terms, as read.
	Examples  [3]string
	NExamples int
}

// Summary names the causes, most frequent first, with examples.
func (r OOVReasons) Summary() string {
	type cause struct {
		n    int
		text string
	}
	causes := []cause{{r.Source, "the source"}, {r.Target, "the target"}, {r.Both, "both terms"}}
	slices.SortStableFunc(causes, func(a, b cause) int { return b.n - a.n })
	var parts []string
	for _, c := range causes {
		if c.n > 0 {
			parts = append(parts, fmt.Sprintf("%d pairs lack %s", c.n, c.text))
		}
	}
	out := strings.Join(parts, ", ")
	if r.NearMiss > 0 {
		out += fmt.Sprintf("; %d missing terms equal a listed term but for case or white space", r.NearMiss)
	}
	if r.NExamples > 0 {
		quoted := make([]string, r.NExamples)
		for i, e := range r.Examples[:r.NExamples] {
			quoted[i] = strconv.Quote(e)
		}
		out += "; for example " + strings.Join(quoted, ", ")
	}
	return out
}

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
	err := eachLine(r, ErrPairs, func(line []byte, num int) error {
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
	src, okS := b.lookup(v, *p.Source, stats)
	dst, okT := b.lookup(v, *p.Target, stats)
	switch {
	case !okS || !okT:
		stats.SkippedOOV++
		r := &stats.OOV
		switch {
		case !okS && !okT:
			r.Both++
		case !okS:
			r.Source++
		default:
			r.Target++
		}
		for _, missing := range []struct {
			term string
			ok   bool
		}{{*p.Source, okS}, {*p.Target, okT}} {
			if missing.ok {
				continue
			}
			if b.nearMiss(v, missing.term) {
				r.NearMiss++
			}
			if r.NExamples < len(r.Examples) {
				r.Examples[r.NExamples] = missing.term
				r.NExamples++
			}
		}
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
	// nfc and folded index the term list by NFC form, and by NFC form
	// case-folded and trimmed, on the first miss; -1 marks a form that
	// several terms share, which matches none of them.
	nfc, folded map[string]int32
}

// lookup finds a pair's term: as it is, or else under Unicode NFC.
func (b *anchorBuilder) lookup(v *Side, term string, stats *PairStats) (int32, bool) {
	if row, ok := v.Lookup(term); ok {
		return row, true
	}
	b.index(v)
	if row, ok := b.nfc[norm.NFC.String(term)]; ok && row >= 0 {
		stats.MatchedNFC++
		return row, true
	}
	return 0, false
}

// nearMiss reports whether a missing term equals a term of the list but
// for case or surrounding white space.
func (b *anchorBuilder) nearMiss(v *Side, term string) bool {
	b.index(v)
	_, ok := b.folded[foldTerm(term)]
	return ok
}

func foldTerm(t string) string { return strings.ToLower(strings.TrimSpace(norm.NFC.String(t))) }

func (b *anchorBuilder) index(v *Side) {
	if b.nfc != nil {
		return
	}
	b.nfc, b.folded = make(map[string]int32, v.Len()), make(map[string]int32, v.Len())
	add := func(m map[string]int32, key string, row int32) {
		if _, dup := m[key]; dup {
			m[key] = -1
		} else {
			m[key] = row
		}
	}
	for i, t := range v.IDs() {
		add(b.nfc, norm.NFC.String(t), int32(i))
		add(b.folded, foldTerm(t), int32(i))
	}
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
