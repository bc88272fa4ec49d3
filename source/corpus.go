package source

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"os"
	"slices"
	"unicode/utf8"
)

// docFile is the corpus file a streamed side reads again to resolve rows.
type docFile struct {
	path      string
	sentinel  error
	withTitle bool
	size      int64 // bytes when first read
}

// dupSeed is a fixed seed for the second hash that, with IDHash, tells
// duplicate ids from different ones without keeping the ids: two distinct
// ids share both 64-bit hashes with negligible probability, and a shared
// pair is checked against the ids themselves before it is reported.
var dupSeed = maphash.MakeSeed()

// streamCorpus reads a corpus file once, keeping each document's id hash,
// the rows of the ids in want, and enough to find duplicate ids; it returns
// a streamed side, and the digest of what it read. The side reads the file
// again to resolve rows, so the file must be a regular file: a pipe is
// refused, with a message that says so.
func streamCorpus(path string, want map[string]bool) (*Side, Digest, error) {
	f, err := openHashed(path)
	if err != nil {
		return nil, Digest{}, fmt.Errorf("source: read corpus: %w", err)
	}
	defer f.Close()
	st, err := f.f.Stat()
	if err != nil {
		return nil, Digest{}, fmt.Errorf("source: read corpus: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, Digest{}, fmt.Errorf("source: %s: %w: not a regular file; the corpus is read again for the texts of the rows written, so a pipe or a process substitution must be copied to a file first", path, ErrCorpus)
	}
	side := &Side{index: map[string]int32{}, resolved: map[int32]doc{},
		file: &docFile{path: path, sentinel: ErrCorpus, withTitle: true, size: st.Size()}}
	type entry struct {
		h2   uint64
		row  int32
		line int32
	}
	var entries []entry
	lines := 0
	err = eachLine(f, ErrCorpus, func(line []byte, num int) error {
		lines = num
		id, ok := quickDocID(line)
		if !ok {
			var d docLine
			blank, err := decodeObject(line, num, ErrCorpus, &d)
			if err != nil || blank {
				return err
			}
			if err := checkDoc(d, num, ErrCorpus); err != nil {
				return err
			}
			id = *d.ID
		}
		row := int32(side.n)
		side.n++
		side.hashes = append(side.hashes, IDHash(id))
		entries = append(entries, entry{h2: maphash.String(dupSeed, id), row: row, line: int32(num)})
		if want[id] {
			side.index[id] = row
		}
		return nil
	})
	if err != nil {
		return nil, Digest{}, fmt.Errorf("source: %s: %w", path, err)
	}
	if side.n == 0 {
		return nil, Digest{}, fmt.Errorf("source: %s: %w: the file holds no documents (%d lines)", path, ErrCorpus, lines)
	}
	d, err := f.digest()
	if err != nil {
		return nil, Digest{}, fmt.Errorf("source: %w", err)
	}
	// Duplicate ids: equal (IDHash, second hash) pairs, confirmed on the
	// ids.
	slices.SortFunc(entries, func(a, b entry) int {
		return cmp.Or(cmp.Compare(side.hashes[a.row], side.hashes[b.row]), cmp.Compare(a.h2, b.h2), cmp.Compare(a.row, b.row))
	})
	for i := 1; i < len(entries); i++ {
		a, b := entries[i-1], entries[i]
		if side.hashes[a.row] != side.hashes[b.row] || a.h2 != b.h2 {
			continue
		}
		ids, err := side.file.ids(map[int32]bool{a.row: true, b.row: true})
		if err != nil {
			return nil, Digest{}, err
		}
		if ids[a.row] == ids[b.row] {
			first, second := min(a.line, b.line), max(a.line, b.line)
			return nil, Digest{}, fmt.Errorf("source: %s: %w: line %d repeats the _id %q of line %d", path, ErrCorpus, second, ids[a.row], first)
		}
	}
	return side, d, nil
}

// docShape is what the first pass over a corpus needs of a line: its id,
// and that its text is a string and its title a string or null, without
// unquoting either.
type docShape struct {
	ID    *string     `json:"_id"`
	Title stringShape `json:"title"`
	Text  stringShape `json:"text"`
}

// stringShape notes that a JSON value is a string or null without decoding
// it.
type stringShape struct{ str, null bool }

var errNotString = errors.New("not a string")

func (s *stringShape) UnmarshalJSON(b []byte) error {
	switch {
	case b[0] == '"':
		s.str = true
	case string(b) == "null":
		s.null = true
	default:
		return errNotString
	}
	return nil
}

// quickDocID returns the id of a line that is a valid document, in one
// pass and without decoding its text. It reports false for anything else,
// which decodeObject and checkDoc then word as an error (or skip, for a
// blank line).
func quickDocID(line []byte) (string, bool) {
	var d docShape
	if !utf8.Valid(line) || json.Unmarshal(line, &d) != nil || d.ID == nil || !d.Text.str {
		return "", false
	}
	return *d.ID, true
}

// checkDoc checks the fields every document and query must have.
func checkDoc(d docLine, num int, sentinel error) error {
	switch {
	case d.ID == nil:
		return fmt.Errorf("%w: line %d: missing \"_id\"", sentinel, num)
	case d.Text == nil:
		return fmt.Errorf("%w: line %d: missing \"text\"", sentinel, num)
	}
	return nil
}

// errChanged reports a corpus file that changed since it was first read.
var errChanged = errors.New("the file changed since it was first read")

// each reads the file again and calls fn with every document's row, id
// and text, stopping early when fn returns false.
func (f *docFile) each(fn func(row int32, id, text string) bool) error {
	file, err := os.Open(f.path)
	if err != nil {
		return fmt.Errorf("source: read %s again: %w", f.path, err)
	}
	defer file.Close()
	if st, err := file.Stat(); err != nil || st.Size() != f.size {
		return fmt.Errorf("source: %s: %w: %w", f.path, f.sentinel, errChanged)
	}
	row := int32(0)
	stop := errors.New("stop")
	err = eachLine(file, f.sentinel, func(line []byte, num int) error {
		var d docLine
		blank, err := decodeObject(line, num, f.sentinel, &d)
		if err != nil || blank {
			return err
		}
		if err := checkDoc(d, num, f.sentinel); err != nil {
			return err
		}
		text := *d.Text
		if f.withTitle && d.Title != nil && *d.Title != "" {
			text = *d.Title + " " + text
		}
		more := fn(row, *d.ID, text)
		row++
		if !more {
			return stop
		}
		return nil
	})
	if err == stop {
		return nil
	}
	if err != nil {
		return fmt.Errorf("source: %s: %w", f.path, err)
	}
	return nil
}

// ids reads the ids of rows.
func (f *docFile) ids(rows map[int32]bool) (map[int32]string, error) {
	out := make(map[int32]string, len(rows))
	err := f.each(func(row int32, id, _ string) bool {
		if rows[row] {
			out[row] = id
		}
		return len(out) < len(rows)
	})
	return out, err
}

// resolve reads the ids and texts of the rows in want into s, checking each
// id against the hash s recorded.
func (f *docFile) resolve(s *Side, want map[int32]bool) error {
	found := 0
	var bad error
	err := f.each(func(row int32, id, text string) bool {
		if !want[row] {
			return true
		}
		if int(row) >= s.n || IDHash(id) != s.hashes[row] {
			bad = fmt.Errorf("source: %s: %w: row %d has the _id %q, not the one read before: %w", f.path, f.sentinel, row, id, errChanged)
			return false
		}
		s.resolved[row] = doc{id, text}
		s.index[id] = row
		found++
		return found < len(want)
	})
	if err == nil {
		err = bad
	}
	if err == nil && found < len(want) {
		err = fmt.Errorf("source: %s: %w: %d rows asked for are past its end: %w", f.path, f.sentinel, len(want)-found, errChanged)
	}
	return err
}
