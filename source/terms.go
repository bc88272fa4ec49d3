package source

import (
	"bytes"
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
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, Digest{}, fmt.Errorf("source: read term list: %w", err)
	}
	terms, err := parseTerms(data)
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

// parseTerms decodes the array token by token so that an error can name the
// row and the byte offset where it went wrong.
func parseTerms(data []byte) ([]string, error) {
	if !utf8.Valid(data) {
		off := invalidUTF8Offset(data)
		return nil, fmt.Errorf("%w: byte %d: invalid UTF-8", ErrTerms, off)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("%w: byte %d: %v", ErrTerms, dec.InputOffset(), describeJSONError(err))
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, fmt.Errorf("%w: byte 0: want a JSON array of strings, found %s", ErrTerms, tokenKind(tok))
	}
	var terms []string
	for dec.More() {
		off := elementStart(data, dec.InputOffset())
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("%w: row %d (byte %d): %v", ErrTerms, len(terms), off, describeJSONError(err))
		}
		s, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("%w: row %d (byte %d): want a string, found %s", ErrTerms, len(terms), off, tokenKind(tok))
		}
		terms = append(terms, s)
	}
	if _, err := dec.Token(); err != nil { // the closing ']'
		return nil, fmt.Errorf("%w: byte %d: %v", ErrTerms, dec.InputOffset(), describeJSONError(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: byte %d: data after the closing ']'", ErrTerms, dec.InputOffset())
	}
	return terms, nil
}

// elementStart skips the white space and the comma between array elements,
// so that an error points at the element itself.
func elementStart(data []byte, off int64) int64 {
	for off < int64(len(data)) {
		switch data[off] {
		case ' ', '\t', '\r', '\n', ',':
			off++
		default:
			return off
		}
	}
	return off
}

func tokenKind(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		switch v {
		case '[', ']':
			return "an array"
		default:
			return "an object"
		}
	case string:
		return "a string"
	case float64, json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", tok)
}

func describeJSONError(err error) string {
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end of file"
	}
	return err.Error()
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
