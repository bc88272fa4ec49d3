package source

import (
	"fmt"
	"hash/fnv"
)

// Side is one set of items with unique string ids: the queries or the
// corpus. Row i of its embedding matrix embeds item i.
//
// A side is resident (every id and text in memory: a term list, the
// queries) or streamed (a corpus, which may be larger than memory): a
// streamed side keeps only each item's id hash, and reads the ids and texts
// of the rows a caller asks for (Resolve) from its file again.
type Side struct {
	n      int
	ids    []string // resident
	texts  []string // resident
	hashes []uint64 // IDHash of every item
	index  map[string]int32
	// A streamed side's file, and the rows resolved so far.
	file     *docFile
	resolved map[int32]doc
}

// doc is a resolved item of a streamed side.
type doc struct{ id, text string }

// IDHash is an item's identity for sampling keys and shards: FNV-1a of its
// id's UTF-8 bytes (for a term list, the term). Keys that follow the id
// rather than the row keep samples stable when a file is reordered or
// split into shards.
func IDHash(id string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	return h.Sum64()
}

// newSide makes a resident side from ids, which the caller has checked to
// be unique.
func newSide(ids, texts []string) *Side {
	s := &Side{n: len(ids), ids: ids, texts: texts, index: make(map[string]int32, len(ids)), hashes: make([]uint64, len(ids))}
	for i, id := range ids {
		s.index[id] = int32(i)
		s.hashes[i] = IDHash(id)
	}
	return s
}

// Len is the number of items.
func (s *Side) Len() int { return s.n }

// Resident reports whether every id and text is in memory.
func (s *Side) Resident() bool { return s.file == nil }

// Hashes returns every item's IDHash, by row.
func (s *Side) Hashes() []uint64 { return s.hashes }

// IDs and Texts return every id and text of a resident side, by row; nil
// for a streamed one.
func (s *Side) IDs() []string   { return s.ids }
func (s *Side) Texts() []string { return s.texts }

// ID returns the id of row i. On a streamed side the row must have been
// resolved; asking for another is a bug in the caller.
func (s *Side) ID(i int32) string {
	if s.file == nil {
		return s.ids[i]
	}
	d, ok := s.resolved[i]
	if !ok {
		panic(fmt.Sprintf("source: row %d of a streamed side was not resolved", i))
	}
	return d.id
}

// Text returns the text of row i, as ID does its id.
func (s *Side) Text(i int32) string {
	if s.file == nil {
		return s.texts[i]
	}
	d, ok := s.resolved[i]
	if !ok {
		panic(fmt.Sprintf("source: row %d of a streamed side was not resolved", i))
	}
	return d.text
}

// Lookup returns the row of id, or false when there is no such item. On a
// streamed side only the ids the positives name, and resolved rows, are
// known.
func (s *Side) Lookup(id string) (int32, bool) {
	i, ok := s.index[id]
	return i, ok
}

// Resolve makes the ids and texts of rows available to ID and Text. On a
// resident side it does nothing; on a streamed side it reads the file once
// more and keeps just those rows, checking that the file still has the
// same items.
func (s *Side) Resolve(rows []int32) error {
	if s.file == nil {
		return nil
	}
	want := make(map[int32]bool, len(rows))
	for _, r := range rows {
		if _, done := s.resolved[r]; !done {
			want[r] = true
		}
	}
	if len(want) == 0 {
		return nil
	}
	return s.file.resolve(s, want)
}

// Anchor is a query that has positives: the corpus rows it is linked to,
// in the order the positives file first links them.
type Anchor struct {
	Query     int32 // row in Problem.Queries
	Positives []int32
}

// Problem is what a run mines: for every anchor, negatives are chosen from
// the corpus, never its positives and, when the queries are the corpus,
// never the anchor itself.
type Problem struct {
	Queries, Corpus *Side
	// Anchors are the queries with at least one positive, in the order the
	// positives file first names them.
	Anchors []Anchor
	// Files are the text files the problem was read from, in the order
	// they were read (the term list and the pairs; or the corpus, the
	// queries and the qrels), each as it was read.
	Files []Digest
}

// Same reports whether the queries are the corpus (the synonym job), so
// that a query must not be its own negative.
func (p *Problem) Same() bool { return p.Queries == p.Corpus }

// Nodes is the number of vertices of the positives graph: every query and
// every corpus item, counted once when the two sides are the same.
func (p *Problem) Nodes() int {
	if p.Same() {
		return p.Corpus.Len()
	}
	return p.Queries.Len() + p.Corpus.Len()
}

// QueryNode and CorpusNode number the vertices of the positives graph:
// queries first, then the corpus; the same numbers when the sides are the
// same.
func (p *Problem) QueryNode(q int32) int32 { return q }

// CorpusNode is the graph vertex of corpus row c.
func (p *Problem) CorpusNode(c int32) int32 {
	if p.Same() {
		return c
	}
	return int32(p.Queries.Len()) + c
}
