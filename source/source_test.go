package source

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadTerms(t *testing.T) {
	for _, tc := range []struct {
		name    string
		content string
		want    []string
		wantErr error
		msg     string // a fragment the error must contain
	}{
		{name: "ok", content: `["야당", "李滉", "바이어 레버쿠젠", "lo"]`, want: []string{"야당", "李滉", "바이어 레버쿠젠", "lo"}},
		{name: "escaped", content: `["a\"b", "\u00e9"]`, want: []string{`a"b`, "é"}},
		{name: "object", content: `{"a": 1}`, wantErr: ErrTerms, msg: "found an object"},
		{name: "bare string", content: `"야당"`, wantErr: ErrTerms, msg: "found a string"},
		{name: "null element", content: `["a", null]`, wantErr: ErrTerms, msg: "row 1"},
		{name: "number element", content: `["a", "b", 3]`, wantErr: ErrTerms, msg: "row 2"},
		{name: "nested array", content: `[["a"]]`, wantErr: ErrTerms, msg: "row 0"},
		{name: "duplicate", content: `["a", "b", "a"]`, wantErr: ErrTerms, msg: "row 2 repeats the term \"a\" of row 0"},
		{name: "empty array", content: `[]`, wantErr: ErrTerms, msg: "empty"},
		{name: "empty file", content: ``, wantErr: ErrTerms, msg: "unexpected end"},
		{name: "unterminated", content: `["a", "b"`, wantErr: ErrTerms, msg: "unexpected end"},
		{name: "trailing data", content: `["a"] ["b"]`, wantErr: ErrTerms, msg: "after the closing"},
		{name: "invalid utf8", content: "[\"a\xff\"]", wantErr: ErrTerms, msg: "byte 3: invalid UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := writeTemp(t, "terms.json", tc.content)
			v, err := ReadTerms(p)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("error %v, want %v", err, tc.wantErr)
				}
				if !strings.Contains(err.Error(), tc.msg) || !strings.Contains(err.Error(), p) {
					t.Fatalf("error %q does not name the file and %q", err, tc.msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(v.IDs(), tc.want) {
				t.Fatalf("terms %q, want %q", v.IDs(), tc.want)
			}
			for i, term := range tc.want {
				if r, ok := v.Lookup(term); !ok || int(r) != i {
					t.Fatalf("Lookup(%q) = %d, %v", term, r, ok)
				}
			}
		})
	}
}

func TestReadTermsMissingFile(t *testing.T) {
	_, err := ReadTerms(filepath.Join(t.TempDir(), "nope.json"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("error %v, want not-exist", err)
	}
}

func TestReadPairs(t *testing.T) {
	v, err := NewTerms([]string{"a", "b", "c", "d", "e"})
	if err != nil {
		t.Fatal(err)
	}
	content := `{"source": "a", "target": "b", "similarity": 0.9, "category": "x", "ig_score": 1}

{"source": "b", "target": "a", "similarity": 0.9}
{"source": "c", "target": "a"}
{"source": "d", "target": "zz", "similarity": 1}
{"source": "e", "target": "e"}
   
{"target": "d", "source": "e"}`
	anchors, stats, err := ReadPairs(writeTemp(t, "p.jsonl", content), v)
	if err != nil {
		t.Fatal(err)
	}
	want := []Anchor{
		{Query: 0, Positives: []int32{1, 2}}, // a: b, c
		{Query: 1, Positives: []int32{0}},    // b: a
		{Query: 2, Positives: []int32{0}},    // c: a
		{Query: 4, Positives: []int32{3}},    // e: d
		{Query: 3, Positives: []int32{4}},    // d: e
	}
	if len(anchors) != len(want) {
		t.Fatalf("anchors %v, want %v", anchors, want)
	}
	for i := range want {
		if anchors[i].Query != want[i].Query || !slices.Equal(anchors[i].Positives, want[i].Positives) {
			t.Fatalf("anchor %d = %v, want %v", i, anchors[i], want[i])
		}
	}
	wantStats := PairStats{Lines: 8, Blank: 2, Pairs: 6, Used: 4, SkippedOOV: 1, SkippedSelf: 1, AlreadyLinked: 1}
	if oov := stats.OOV; oov.Source+oov.Target+oov.Both != stats.SkippedOOV {
		t.Errorf("out-of-vocabulary reasons %+v for %d pairs", oov, stats.SkippedOOV)
	}
	if stats.OOV = (OOVReasons{}); stats != wantStats {
		t.Fatalf("stats %+v, want %+v", stats, wantStats)
	}
}

func TestReadPairsRefusesBadInput(t *testing.T) {
	v, _ := NewTerms([]string{"a", "b"})
	for _, tc := range []struct {
		name, content string
		wantErr       error
		msg           string
	}{
		{"malformed", `{"source": "a", "target": "b"}` + "\n" + `{"source": "a", "target"`, ErrPairs, "line 2: malformed JSON"},
		{"missing source", `{"target": "b"}`, ErrPairs, `line 1: missing "source"`},
		{"missing target", `{"source": "a", "similarity": 1}`, ErrPairs, `line 1: missing "target"`},
		{"missing both", `{"similarity": 1}`, ErrPairs, `line 1: missing "source" and "target"`},
		{"array", `["a", "b"]`, ErrPairs, "line 1: want a JSON object, found an array"},
		{"bare string", `"a"`, ErrPairs, "line 1: want a JSON object, found a string"},
		{"number source", `{"source": 1, "target": "b"}`, ErrPairs, `line 1: field "source": want a string, found number`},
		{"string similarity", `{"source": "a", "target": "b", "similarity": "high"}`, ErrPairs, `line 1: field "similarity": want a number, found string`},
		{"two objects", `{"source": "a", "target": "b"} {"source": "a"}`, ErrPairs, "line 1: data after"},
		{"invalid utf8", "\n{\"source\": \"a\xfe\", \"target\": \"b\"}", ErrPairs, "line 2: invalid UTF-8 at column 14"},
		{"empty file", "", ErrNoPairs, "no pairs (0 lines)"},
		{"only blank lines", "\n  \n\n", ErrNoPairs, "no pairs (3 lines)"},
		{"nothing in vocabulary", `{"source": "x", "target": "y"}` + "\n" + `{"source": "a", "target": "a"}`, ErrNoPairs, "none of the 2 pairs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := writeTemp(t, "p.jsonl", tc.content)
			_, _, err := ReadPairs(p, v)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error %v, want %v", err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.msg) || !strings.Contains(err.Error(), p) {
				t.Fatalf("error %q does not name the file and %q", err, tc.msg)
			}
		})
	}
}

// TestErrorPositions pins where errors point: at the element of a term list
// (not the comma before it), at the column of the untrimmed pairs line, and
// at a stray closing bracket after a pair.
func TestErrorPositions(t *testing.T) {
	_, err := ReadTerms(writeTemp(t, "t.json", `["야당", 3]`))
	if err == nil || !strings.Contains(err.Error(), "row 1 (byte 11)") {
		t.Errorf("term list error %v, want row 1 at byte 11", err)
	}
	v, _ := NewTerms([]string{"a", "b"})
	for _, tc := range []struct{ content, msg string }{
		{`    {"source": "a", "target" "b"}`, "line 1: column 30"},
		{`{"source": "a", "target": "b"}}`, `line 1: data after the JSON object: "}"`},
		{`{"source": "a", "target": "b"} ]x`, `line 1: data after the JSON object: "]x"`},
	} {
		_, _, err := ReadPairs(writeTemp(t, "p.jsonl", tc.content), v)
		if !errors.Is(err, ErrPairs) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: error %v, want %q", tc.content, err, tc.msg)
		}
	}
}

// TestReadersDigestWhatTheyRead checks that the problem records each text
// file's size and SHA-256 as its reader read it.
func TestReadersDigestWhatTheyRead(t *testing.T) {
	files := map[string]string{
		TermsFile: `["a", "b", "c"]` + "\n",
		PairsFile: `{"source": "a", "target": "b"}` + "\n",
	}
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p, _, err := ReadSynonyms(filepath.Join(dir, TermsFile), filepath.Join(dir, PairsFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Files) != 2 {
		t.Fatalf("%d digests", len(p.Files))
	}
	for i, name := range []string{TermsFile, PairsFile} {
		sum := sha256.Sum256([]byte(files[name]))
		want := Digest{Path: filepath.Join(dir, name), Bytes: int64(len(files[name])), SHA256: hex.EncodeToString(sum[:])}
		if p.Files[i] != want {
			t.Errorf("digest %d: %+v, want %+v", i, p.Files[i], want)
		}
	}
}

// TestCapsOnLinesAndTerms lowers the caps and checks each refusal names
// the line or the row and wraps ErrTooLarge or ErrNotText beside the
// reader's sentinel; inputs within the caps still read.
func TestCapsOnLinesAndTerms(t *testing.T) {
	defer func(l, tm int, f int64) { MaxLineBytes, MaxTermBytes, MaxFileBytes = l, tm, f }(MaxLineBytes, MaxTermBytes, MaxFileBytes)
	MaxLineBytes, MaxTermBytes, MaxFileBytes = 64, 16, 1<<10
	v, _ := NewTerms([]string{"a", "b", strings.Repeat("x", 15)})
	pair := `{"source": "a", "target": "b"}` + "\n"
	for _, tc := range []struct {
		name, content string
		want          []error
		where         string
	}{
		{"a long line", pair + `{"source": "a", "target": "` + strings.Repeat("b", 60) + `"}` + "\n", []error{ErrPairs, ErrTooLarge}, "line 2: too large: longer than 64 bytes"},
		{"a long last line", pair + strings.Repeat(" ", 65), []error{ErrPairs, ErrTooLarge}, "line 2: too large"},
		{"a NUL byte", pair + `{"source": "a",` + "\x00", []error{ErrPairs, ErrNotText}, "line 2: not a text file: a NUL byte at column 16"},
		{"too much in all", strings.Repeat(pair, 40), []error{ErrPairs, ErrTooLarge}, "more than 1 KiB in all"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, _, err := readPairsFile(writeTemp(t, PairsFile, tc.content), v)
			for _, w := range tc.want {
				if !errors.Is(err, w) {
					t.Errorf("error %v does not wrap %v", err, w)
				}
			}
			if err == nil || !strings.Contains(err.Error(), tc.where) {
				t.Fatalf("error %v, want %q", err, tc.where)
			}
		})
	}
	if _, _, _, err := readPairsFile(writeTemp(t, PairsFile, strings.Repeat(pair, 30)), v); err != nil {
		t.Fatalf("a file within the caps: %v", err)
	}
	_, err := ReadTerms(writeTemp(t, TermsFile, `["a", "`+strings.Repeat("y", 20)+`"]`))
	if !errors.Is(err, ErrTerms) || !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "row 1 (byte 6): too large: a term longer than 16 bytes") {
		t.Fatalf("a long term: %v", err)
	}
	if _, err := ReadTerms(writeTemp(t, TermsFile, `["a", "`+strings.Repeat("y", 13)+`"]`)); err != nil {
		t.Fatalf("a term within the cap: %v", err)
	}
}
