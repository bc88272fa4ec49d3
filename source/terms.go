package source

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// Sentinel errors of this package, tested with errors.Is. Every error that
// reports bad input wraps one of them and names the file and the line, row or
// byte offset.
var (
	// ErrTerms reports a term list that is not a JSON array of unique strings.
	ErrTerms = errors.New("bad term list")
	// ErrPairs reports a pairs file with a line that is not a valid pair.
	ErrPairs = errors.New("bad pairs file")
	// ErrNoPairs reports a pairs file with no pair whose two terms are both in
	// the vocabulary.
	ErrNoPairs = errors.New("no usable pairs")
)

// NewTerms makes the side of a term list: each term is its own id and
// text. It refuses an empty list and duplicate terms; row numbers in its
// errors count from 0, as the embedding rows do.
func NewTerms(terms []string) (*Side, error) {
	if len(terms) == 0 {
		return nil, fmt.Errorf("%w: the list is empty", ErrTerms)
	}
	s := newSide(terms, terms)
	if len(s.index) != len(terms) {
		seen := make(map[string]int, len(terms))
		for i, t := range terms {
			if j, dup := seen[t]; dup {
				return nil, fmt.Errorf("%w: row %d repeats the term %q of row %d", ErrTerms, i, t, j)
			}
			seen[t] = i
		}
	}
	return s, nil
}

// ReadTerms reads a term list file, a JSON array of strings, as a side whose
// ids and texts are the terms.
func ReadTerms(path string) (*Side, error) {
	s, _, err := readTerms(path)
	return s, err
}

// readTerms is ReadTerms, with the digest of what it read.
func readTerms(path string) (*Side, Digest, error) {
	f, err := openHashed(path)
	if err != nil {
		return nil, Digest{}, fmt.Errorf("source: read term list: %w", err)
	}
	defer f.Close()
	terms, err := parseTerms(f)
	if err != nil {
		return nil, Digest{}, fmt.Errorf("source: %s: %w", path, err)
	}
	s, err := NewTerms(terms)
	if err != nil {
		return nil, Digest{}, fmt.Errorf("source: %s: %w", path, err)
	}
	d, err := f.digest()
	if err != nil {
		return nil, Digest{}, fmt.Errorf("source: %w", err)
	}
	return s, d, nil
}

// termReader reads a term list as a stream, so that memory holds the
// terms and one term's bytes, never more: an endless or binary input (a
// pipe, /dev/zero) ends in an error, not in running out of memory.
type termReader struct {
	r   *bufio.Reader
	off int64 // bytes consumed
	buf []byte
}

func (t *termReader) peek() (byte, bool, error) {
	b, err := t.r.Peek(1)
	if err == io.EOF {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	return b[0], true, nil
}

func (t *termReader) next() {
	t.r.Discard(1)
	t.off++
}

// skipSpace skips JSON white space.
func (t *termReader) skipSpace() error {
	for {
		c, ok, err := t.peek()
		if err != nil || !ok {
			return err
		}
		switch c {
		case ' ', '\t', '\r', '\n':
			t.next()
		default:
			return nil
		}
	}
}

// str reads one JSON string, its opening quote next, and decodes it as
// json.Unmarshal does.
func (t *termReader) str(row int) (string, error) {
	start := t.off
	t.buf = append(t.buf[:0], '"')
	t.next()
	for escaped := false; ; {
		c, ok, err := t.peek()
		if err != nil {
			return "", fmt.Errorf("%w: row %d (byte %d): %w", ErrTerms, row, start, err)
		}
		if !ok {
			return "", fmt.Errorf("%w: row %d (byte %d): unexpected end of file", ErrTerms, row, start)
		}
		t.next()
		t.buf = append(t.buf, c)
		if len(t.buf) > MaxTermBytes {
			return "", fmt.Errorf("%w: row %d (byte %d): %w: a term longer than %s (is this a term list?)", ErrTerms, row, start, ErrTooLarge, sizeName(MaxTermBytes))
		}
		switch {
		case escaped:
			escaped = false
		case c == '\\':
			escaped = true
		case c == '"':
			if !utf8.Valid(t.buf) {
				return "", fmt.Errorf("%w: byte %d: invalid UTF-8", ErrTerms, start+int64(invalidUTF8Offset(t.buf)))
			}
			var s string
			if err := json.Unmarshal(t.buf, &s); err != nil {
				return "", fmt.Errorf("%w: row %d (byte %d): %v", ErrTerms, row, start, err)
			}
			return s, nil
		}
	}
}

// parseTerms reads a JSON array of strings, naming the row and the byte
// offset where it goes wrong. It accepts exactly what json.Unmarshal into
// a []string accepts, in valid UTF-8, and reads at most MaxFileBytes.
func parseTerms(r io.Reader) ([]string, error) {
	lr := &capReader{r: r, left: MaxFileBytes}
	t := &termReader{r: bufio.NewReaderSize(lr, 1<<16)}
	fail := func(err error) error {
		if lr.over {
			return fmt.Errorf("%w: byte %d: %w: more than %s (hardneg reads text inputs of at most that; is it an endless stream?)",
				ErrTerms, t.off, ErrTooLarge, sizeName(MaxFileBytes))
		}
		return err
	}
	// found names what stands at the current byte where something else
	// was wanted.
	found := func() string {
		c, ok, _ := t.peek()
		switch {
		case !ok:
			return "an unexpected end of file"
		case c == 0:
			return "a NUL byte (is it a text file?)"
		case c == '"':
			return "a string"
		case c == '{':
			return "an object"
		case c == '[':
			return "an array"
		case c == 't' || c == 'f':
			return "a boolean"
		case c == 'n':
			return "null"
		case c == '-' || c >= '0' && c <= '9':
			return "a number"
		case c >= 0x80:
			return "a non-ASCII byte"
		}
		return fmt.Sprintf("%q", string(c))
	}
	if err := t.skipSpace(); err != nil {
		return nil, fail(err)
	}
	if c, ok, _ := t.peek(); !ok || c != '[' {
		return nil, fail(fmt.Errorf("%w: byte %d: want a JSON array of strings, found %s", ErrTerms, t.off, found()))
	}
	t.next()
	var terms []string
	for {
		if err := t.skipSpace(); err != nil {
			return nil, fail(err)
		}
		c, ok, _ := t.peek()
		if ok && c == ']' && len(terms) == 0 {
			t.next()
			break
		}
		start := t.off
		if !ok || c != '"' {
			return nil, fail(fmt.Errorf("%w: row %d (byte %d): want a string, found %s", ErrTerms, len(terms), start, found()))
		}
		s, err := t.str(len(terms))
		if err != nil {
			return nil, fail(err)
		}
		terms = append(terms, s)
		if err := t.skipSpace(); err != nil {
			return nil, fail(err)
		}
		c, ok, _ = t.peek()
		if ok && c == ']' {
			t.next()
			break
		}
		if !ok || c != ',' {
			return nil, fail(fmt.Errorf("%w: byte %d: want ',' or ']' after row %d, found %s", ErrTerms, t.off, len(terms)-1, found()))
		}
		t.next()
	}
	if err := t.skipSpace(); err != nil {
		return nil, fail(err)
	}
	if _, ok, err := t.peek(); err != nil || ok {
		if err == nil {
			err = fmt.Errorf("%w: byte %d: data after the closing ']'", ErrTerms, t.off)
		}
		return nil, fail(err)
	}
	if lr.over {
		return nil, fail(nil)
	}
	return terms, nil
}

func invalidUTF8Offset(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}
