package source

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// fuzzTerms is the vocabulary FuzzReadPairs reads against: Korean, Hanja and
// Latin terms as in the real data, plus terms that only escapes can spell,
// a composed and a decomposed é (different terms), a blank and an empty term.
var fuzzTerms = []string{
	"a", "b", "c", "야당", "야당정치인", "李滉", "바이어 레버쿠젠",
	`a"b`, `x\y`, "é", "e\u0301", "\u2028", " ", "",
}

// FuzzReadPairs checks the pairs reader against a reference built on
// json.Unmarshal: no input panics; an accepted file gives the anchors and
// stats the reference gives, and anchors that are consistent on their own
// (rows in range, no anchor its own positive, no repeated positive, every
// link both ways); a refused file gives an error that names the file and
// wraps exactly the sentinel the reference expects, ErrPairs with the line
// of the first bad line, or ErrNoPairs. The seed corpus is in
// testdata/fuzz/FuzzReadPairs.
func FuzzReadPairs(f *testing.F) {
	v, err := NewTerms(fuzzTerms)
	if err != nil {
		f.Fatal(err)
	}
	// One file per fuzzing process, rewritten for each input: the target
	// runs one input at a time, and a folder per input would cost more than
	// the reading.
	path := filepath.Join(f.TempDir(), PairsFile)
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		anchors, stats, err := ReadPairs(path, v)
		want := refReadPairs(data, v)
		if err != nil {
			checkSentinel(t, err, path, ErrPairs, ErrNoPairs)
			if want.err == nil {
				t.Fatalf("refused a good file: %v", err)
			}
			if !errors.Is(err, want.err) {
				t.Fatalf("error %v, want %v", err, want.err)
			}
			if want.err == ErrPairs && !strings.Contains(err.Error(), fmt.Sprintf(": line %d: ", want.line)) {
				t.Fatalf("error %q does not name line %d", err, want.line)
			}
			return
		}
		if want.err != nil {
			t.Fatalf("accepted a file the reference refuses with %v at line %d", want.err, want.line)
		}
		checkAnchors(t, anchors, stats, v)
		if oov := stats.OOV; oov.Source+oov.Target+oov.Both != stats.SkippedOOV {
			t.Errorf("out-of-vocabulary reasons %+v for %d pairs", oov, stats.SkippedOOV)
		}
		if stats.OOV = (OOVReasons{}); stats != want.stats {
			t.Errorf("stats %+v, want %+v", stats, want.stats)
		}
		if len(anchors) != len(want.anchors) {
			t.Fatalf("%d anchors, want %d", len(anchors), len(want.anchors))
		}
		for i, a := range anchors {
			if a.Query != want.anchors[i].Query || !slices.Equal(a.Positives, want.anchors[i].Positives) {
				t.Fatalf("anchor %d = %v, want %v", i, a, want.anchors[i])
			}
		}
	})
}

// checkAnchors checks what holds for any accepted pairs file, whatever its
// content.
func checkAnchors(t *testing.T, anchors []Anchor, stats PairStats, v *Side) {
	t.Helper()
	if len(anchors) == 0 || stats.Used == 0 {
		t.Fatalf("accepted with %d anchors and %d used pairs", len(anchors), stats.Used)
	}
	if stats.Pairs != stats.Used+stats.SkippedOOV+stats.SkippedSelf || stats.AlreadyLinked > stats.Used ||
		stats.Lines < stats.Blank+stats.Pairs {
		t.Fatalf("inconsistent stats %+v", stats)
	}
	inRange := func(r int32) bool { return r >= 0 && int(r) < v.Len() }
	links := map[[2]int32]bool{}
	seen := map[int32]bool{}
	for _, a := range anchors {
		if !inRange(a.Query) {
			t.Fatalf("anchor row %d outside the %d-term vocabulary", a.Query, v.Len())
		}
		if seen[a.Query] {
			t.Fatalf("anchor %d listed twice", a.Query)
		}
		seen[a.Query] = true
		if len(a.Positives) == 0 {
			t.Fatalf("anchor %d has no positive", a.Query)
		}
		for _, p := range a.Positives {
			switch {
			case !inRange(p):
				t.Fatalf("anchor %d: positive row %d outside the %d-term vocabulary", a.Query, p, v.Len())
			case p == a.Query:
				t.Fatalf("anchor %d is its own positive", a.Query)
			case links[[2]int32{a.Query, p}]:
				t.Fatalf("anchor %d lists positive %d twice", a.Query, p)
			}
			links[[2]int32{a.Query, p}] = true
		}
	}
	for l := range links {
		if !links[[2]int32{l[1], l[0]}] {
			t.Fatalf("%d -> %d is linked one way only", l[0], l[1])
		}
	}
	// Each new pair links both ways; a pair already linked adds nothing.
	if len(links) != 2*(stats.Used-stats.AlreadyLinked) {
		t.Fatalf("%d directed links from stats %+v", len(links), stats)
	}
}

// checkSentinel checks that a reader's error names the file and wraps
// exactly one of the sentinels.
func checkSentinel(t *testing.T, err error, path string, sentinels ...error) {
	t.Helper()
	n := 0
	for _, s := range []error{ErrTerms, ErrPairs, ErrNoPairs} {
		if errors.Is(err, s) {
			n++
			if !slices.Contains(sentinels, s) {
				t.Fatalf("error %v wraps %v, want one of %v", err, s, sentinels)
			}
		}
	}
	if n != 1 {
		t.Fatalf("error %v wraps %d of vocab's sentinels, want 1", err, n)
	}
	if !strings.Contains(err.Error(), path) {
		t.Fatalf("error %q does not name %s", err, path)
	}
}

// refPairs is what the reference reader expects of a pairs file.
type refPairs struct {
	anchors []Anchor
	stats   PairStats
	err     error // nil, ErrPairs or ErrNoPairs
	line    int   // the bad line, with ErrPairs
}

// refReadPairs reads a pairs file the simple way: split into lines,
// json.Unmarshal each (which, unlike a Decoder, refuses anything after the
// value), and link terms with slices.
func refReadPairs(data []byte, v *Side) refPairs {
	var r refPairs
	lines := bytes.SplitAfter(data, []byte("\n"))
	if len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	fail := func(i int) refPairs {
		r.err, r.line = ErrPairs, i+1
		return r
	}
	for i, line := range lines {
		r.stats.Lines++
		trimmed := bytes.TrimSpace(line)
		if len(trimmed) == 0 {
			r.stats.Blank++
			continue
		}
		if !utf8.Valid(line) || trimmed[0] != '{' {
			return fail(i)
		}
		var p struct {
			Source     *string  `json:"source"`
			Target     *string  `json:"target"`
			Similarity *float64 `json:"similarity"`
		}
		if err := json.Unmarshal(trimmed, &p); err != nil {
			return fail(i)
		}
		if p.Source == nil || p.Target == nil {
			return fail(i)
		}
		r.stats.Pairs++
		src, okS := refLookup(v, *p.Source, &r.stats)
		dst, okT := refLookup(v, *p.Target, &r.stats)
		switch {
		case !okS || !okT:
			r.stats.SkippedOOV++
		case src == dst:
			r.stats.SkippedSelf++
		default:
			r.stats.Used++
			newXY, newYX := r.link(src, dst), r.link(dst, src)
			if !newXY && !newYX {
				r.stats.AlreadyLinked++
			}
		}
	}
	if r.stats.Used == 0 {
		r.err = ErrNoPairs
	}
	return r
}

// refLookup finds a term as it is, or else as the one term of the list
// with the same NFC form.
func refLookup(v *Side, term string, stats *PairStats) (int32, bool) {
	if row, ok := v.Lookup(term); ok {
		return row, true
	}
	found, row := 0, int32(0)
	for i, t := range v.IDs() {
		if norm.NFC.String(t) == norm.NFC.String(term) {
			found, row = found+1, int32(i)
		}
	}
	if found == 1 {
		stats.MatchedNFC++
		return row, true
	}
	return 0, false
}

func (r *refPairs) link(a, p int32) bool {
	i := slices.IndexFunc(r.anchors, func(x Anchor) bool { return x.Query == a })
	if i < 0 {
		r.anchors = append(r.anchors, Anchor{Query: a})
		i = len(r.anchors) - 1
	}
	if slices.Contains(r.anchors[i].Positives, p) {
		return false
	}
	r.anchors[i].Positives = append(r.anchors[i].Positives, p)
	return true
}

// termsWhere is where a term-list error says the problem is, just after the
// sentinel's text: a row, a byte offset, or both.
var termsWhere = regexp.MustCompile(`: bad term list: (?:row \d+ \(byte (\d+)\): |byte (\d+): |row \d+ repeats the term |the list is empty$)`)

// FuzzReadTerms checks the term-list reader: no input panics; an accepted
// file is valid UTF-8, decodes with json.Unmarshal to the same strings, and
// gives a vocabulary of unique terms that Lookup finds at their rows; a
// refused file gives an error that names the file, wraps ErrTerms alone and
// gives a byte offset inside the file or a row; and every non-empty JSON
// array of unique strings in valid UTF-8 is accepted. The seed corpus is in
// testdata/fuzz/FuzzReadTerms.
func FuzzReadTerms(f *testing.F) {
	path := filepath.Join(f.TempDir(), TermsFile)
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		v, err := ReadTerms(path)
		if err != nil {
			checkSentinel(t, err, path, ErrTerms)
			msg := err.Error()
			m := termsWhere.FindStringSubmatch(msg)
			if m == nil {
				t.Fatalf("error %q names neither a byte nor a row", msg)
			}
			if off, err := strconv.Atoi(m[1] + m[2]); err == nil && off > len(data) {
				t.Fatalf("error %q names byte %d of a %d-byte file", msg, off, len(data))
			}
			if terms, ok := plainTermList(data); ok {
				t.Fatalf("refused a list of %d unique strings: %v", len(terms), err)
			}
			return
		}
		if !utf8.Valid(data) {
			t.Fatal("accepted invalid UTF-8")
		}
		var want []string
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatalf("accepted a file json.Unmarshal refuses: %v", err)
		}
		if !slices.Equal(v.IDs(), want) || v.Len() != len(want) || len(want) == 0 {
			t.Fatalf("terms %q (Len %d), json.Unmarshal gives %q", v.IDs(), v.Len(), want)
		}
		for i, term := range v.IDs() {
			if r, ok := v.Lookup(term); !ok || int(r) != i {
				t.Fatalf("Lookup(%q) = %d, %v; want row %d", term, r, ok, i)
			}
		}
	})
}

// plainTermList reports whether data is, by json.Unmarshal, a non-empty
// array of unique strings in valid UTF-8: a term list ReadTerms must take.
func plainTermList(data []byte) ([]string, bool) {
	var elems []any
	if !utf8.Valid(data) || json.Unmarshal(data, &elems) != nil || len(elems) == 0 {
		return nil, false
	}
	terms := make([]string, len(elems))
	seen := map[string]bool{}
	for i, e := range elems {
		s, ok := e.(string)
		if !ok || seen[s] {
			return nil, false
		}
		seen[s] = true
		terms[i] = s
	}
	return terms, true
}

// FuzzQuickDocID holds the corpus's one-pass reader to the full one: a line
// it accepts must be a document the full reader accepts, with the same id;
// a line it passes on is left to the full reader to refuse or skip.
func FuzzQuickDocID(f *testing.F) {
	for _, s := range []string{
		`{"_id": "d1", "title": "T", "text": "x"}`, `{"_id": "d1", "text": "x", "metadata": {}}`,
		`{"_id": "d1", "title": null, "text": "x"}`, `{"_id": "d1", "title": 3, "text": "x"}`,
		`{"_id": "d1", "text": null}`, `{"_id": 1, "text": "x"}`, `{"_ID": "d1", "Text": "x"}`,
		`{"_id": "d1", "text": "x"} {}`, `{"_id": "d1", "text": "x"`, `  `, `[1]`, "{\"_id\": \"\xff\", \"text\": \"x\"}",
		`{"_id": "a\u0000b", "text": "\ud800"}`, `{"_id": "d1", "_id": "d2", "text": "x", "text": 1}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		id, ok := quickDocID([]byte(line))
		if !ok {
			return
		}
		var d docLine
		blank, err := decodeObject([]byte(line), 1, ErrCorpus, &d)
		if err == nil && !blank {
			err = checkDoc(d, 1, ErrCorpus)
		}
		if err != nil || blank {
			t.Fatalf("quickDocID accepts %q (id %q), the full reader says blank=%v, %v", line, id, blank, err)
		}
		if *d.ID != id {
			t.Fatalf("%q: quickDocID gives id %q, the full reader %q", line, id, *d.ID)
		}
	})
}
