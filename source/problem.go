package source

// Side is one set of items with unique string ids: the queries or the
// corpus. Row i of its embedding matrix embeds item i.
type Side struct {
	// IDs are the items' identities, unique, in file order. They key every
	// random choice, so a sample does not depend on the order of the file.
	IDs []string
	// Texts are what output rows show for each item: a term itself, a
	// query's text, or a document's title and text.
	Texts []string
	index map[string]int32
}

// newSide indexes ids, which the caller has checked to be unique.
func newSide(ids, texts []string) *Side {
	s := &Side{IDs: ids, Texts: texts, index: make(map[string]int32, len(ids))}
	for i, id := range ids {
		s.index[id] = int32(i)
	}
	return s
}

// Len is the number of items.
func (s *Side) Len() int { return len(s.IDs) }

// Lookup returns the row of id, or false when there is no such item.
func (s *Side) Lookup(id string) (int32, bool) {
	i, ok := s.index[id]
	return i, ok
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
