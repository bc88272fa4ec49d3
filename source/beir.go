package source

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// Sentinel errors of the BEIR reader, beside those of the synonym reader.
var (
	// ErrCorpus reports a corpus file with a line that is not a document.
	ErrCorpus = errors.New("bad corpus file")
	// ErrQueries reports a queries file with a line that is not a query.
	ErrQueries = errors.New("bad queries file")
	// ErrQrels reports a qrels file with a line that is not a judgement.
	ErrQrels = errors.New("bad qrels file")
	// ErrNoQrels reports qrels with no positive judgement between a known
	// query and a known document.
	ErrNoQrels = errors.New("no usable judgements")
)

// QrelsHeader is the first line of a BEIR qrels file.
const QrelsHeader = "query-id\tcorpus-id\tscore"

// QrelStats counts what reading a qrels file found.
type QrelStats struct {
	Lines      int `json:"lines"`       // lines read, the header and blank ones included
	Blank      int `json:"blank_lines"` // lines holding only white space
	Judgements int `json:"judgements"`  // lines with a query, a document and a score
	Used       int `json:"used"`        // positive judgements that linked a known query to a known document
	// NotPositive counts judgements with a score of 0 or less: judged not
	// relevant, so neither a positive nor excluded.
	NotPositive int `json:"not_positive"`
	// UnknownQuery and UnknownDocument count positive judgements whose
	// query or document is in no file; real qrels have them.
	UnknownQuery    int `json:"unknown_query"`
	UnknownDocument int `json:"unknown_document"`
	// Duplicate counts positive judgements of a pair already linked.
	Duplicate int `json:"duplicate"`
}

// Skipped is the number of positive judgements that produced no link.
func (s QrelStats) Skipped() int { return s.UnknownQuery + s.UnknownDocument }

// BEIRPaths names the files of a BEIR-layout data set.
type BEIRPaths struct {
	Corpus, Queries, Qrels string
}

// ReadBEIR reads a corpus, its queries and their qrels into a problem: the
// anchors are the queries with a positive judgement, in the order the qrels
// first name them, each with its positive documents in first-judged order.
//
// The queries are resident; the corpus is streamed: ReadBEIR reads it
// once, keeping each document's id hash and the rows of the documents the
// qrels name, and the corpus side reads texts again only for the rows a
// caller resolves. So a corpus of millions of documents costs a few bytes a
// document.
func ReadBEIR(p BEIRPaths) (*Problem, QrelStats, error) {
	queries, qd, err := readDocs(p.Queries, ErrQueries, false)
	if err != nil {
		return nil, QrelStats{}, err
	}
	judged, stats, rd, err := readQrels(p.Qrels, queries)
	if err != nil {
		return nil, stats, err
	}
	want := make(map[string]bool, len(judged))
	for _, j := range judged {
		want[j.doc] = true
	}
	corpus, cd, err := streamCorpus(p.Corpus, want)
	if err != nil {
		return nil, stats, err
	}
	anchors, err := link(judged, corpus, &stats)
	if err != nil {
		return nil, stats, fmt.Errorf("source: %s: %w", p.Qrels, err)
	}
	return &Problem{Queries: queries, Corpus: corpus, Anchors: anchors, Files: []Digest{cd, qd, rd}}, stats, nil
}

// docLine is one line of a corpus or queries file. Unknown keys (such as
// metadata) are ignored; the known ones are checked for type.
type docLine struct {
	ID    *string `json:"_id"`
	Title *string `json:"title"`
	Text  *string `json:"text"`
}

// readDocs reads a corpus (withTitle) or queries file: one JSON object per
// line with a unique string "_id" and a "text"; a document's text in the
// rows is its title and a space before its text when the title is not
// empty.
func readDocs(path string, sentinel error, withTitle bool) (*Side, Digest, error) {
	f, err := openHashed(path)
	if err != nil {
		return nil, Digest{}, fmt.Errorf("source: read %s: %w", kindOf(sentinel), err)
	}
	defer f.Close()
	side, err := parseDocs(f, sentinel, withTitle)
	if err != nil {
		return nil, Digest{}, fmt.Errorf("source: %s: %w", path, err)
	}
	d, err := f.digest()
	if err != nil {
		return nil, Digest{}, fmt.Errorf("source: %w", err)
	}
	return side, d, nil
}

func kindOf(sentinel error) string {
	if sentinel == ErrCorpus {
		return "corpus"
	}
	return "queries"
}

func parseDocs(r io.Reader, sentinel error, withTitle bool) (*Side, error) {
	var ids, texts []string
	first := map[string]int{} // id -> line
	lines := 0
	err := eachLine(r, sentinel, func(line []byte, num int) error {
		lines = num
		var d docLine
		blank, err := decodeObject(line, num, sentinel, &d)
		if err != nil || blank {
			return err
		}
		if err := checkDoc(d, num, sentinel); err != nil {
			return err
		}
		if prev, dup := first[*d.ID]; dup {
			return fmt.Errorf("%w: line %d repeats the _id %q of line %d", sentinel, num, *d.ID, prev)
		}
		first[*d.ID] = num
		text := *d.Text
		if withTitle && d.Title != nil && *d.Title != "" {
			text = *d.Title + " " + text
		}
		ids = append(ids, *d.ID)
		texts = append(texts, text)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("%w: the file holds no %s (%d lines)", sentinel, map[bool]string{true: "documents", false: "queries"}[withTitle], lines)
	}
	return newSide(ids, texts), nil
}

// judgement is a positive judgement of a known query, its document not
// yet looked up.
type judgement struct {
	query int32
	doc   string
}

// ReadQrels reads a BEIR qrels TSV, header QrelsHeader, then one
// "query-id, corpus-id, score" line per judgement. A score above 0 makes
// the document a positive of the query; other scores are counted and
// ignored, as are judgements naming an unknown query or document.
func ReadQrels(path string, queries, corpus *Side) ([]Anchor, QrelStats, error) {
	judged, stats, _, err := readQrels(path, queries)
	if err != nil {
		return nil, stats, err
	}
	anchors, err := link(judged, corpus, &stats)
	if err != nil {
		return nil, stats, fmt.Errorf("source: %s: %w", path, err)
	}
	return anchors, stats, nil
}

// readQrels reads the judgements and keeps the positive ones of known
// queries, with the digest of what it read.
func readQrels(path string, queries *Side) ([]judgement, QrelStats, Digest, error) {
	f, err := openHashed(path)
	if err != nil {
		return nil, QrelStats{}, Digest{}, fmt.Errorf("source: read qrels: %w", err)
	}
	defer f.Close()
	judged, stats, err := parseQrels(f, queries)
	if err != nil {
		return nil, stats, Digest{}, fmt.Errorf("source: %s: %w", path, err)
	}
	d, err := f.digest()
	if err != nil {
		return nil, stats, Digest{}, fmt.Errorf("source: %w", err)
	}
	return judged, stats, d, nil
}

func parseQrels(r io.Reader, queries *Side) ([]judgement, QrelStats, error) {
	var stats QrelStats
	var judged []judgement
	err := eachLine(r, ErrQrels, func(line []byte, num int) error {
		stats.Lines++
		line = bytes.TrimRight(line, "\r\n")
		if !utf8.Valid(line) {
			return fmt.Errorf("%w: line %d: invalid UTF-8 at column %d", ErrQrels, num, invalidUTF8Offset(line)+1)
		}
		if num == 1 {
			if string(line) != QrelsHeader {
				return fmt.Errorf("%w: line 1: want the header %q, found %q", ErrQrels, QrelsHeader, truncate(line, 60))
			}
			return nil
		}
		if len(bytes.TrimSpace(line)) == 0 {
			stats.Blank++
			return nil
		}
		fields := bytes.Split(line, []byte{'\t'})
		if len(fields) != 3 {
			return fmt.Errorf("%w: line %d: want 3 tab-separated fields (query-id, corpus-id, score), found %d", ErrQrels, num, len(fields))
		}
		score, err := strconv.ParseFloat(string(bytes.TrimSpace(fields[2])), 64)
		if err != nil {
			return fmt.Errorf("%w: line %d: score %q is not a number", ErrQrels, num, truncate(fields[2], 20))
		}
		stats.Judgements++
		if !(score > 0) {
			stats.NotPositive++
			return nil
		}
		q, ok := queries.Lookup(string(fields[0]))
		if !ok {
			stats.UnknownQuery++
			return nil
		}
		judged = append(judged, judgement{query: q, doc: string(fields[1])})
		return nil
	})
	if err != nil {
		return nil, stats, err
	}
	if stats.Lines == 0 {
		return nil, stats, fmt.Errorf("%w: the file is empty; want the header %q", ErrQrels, QrelsHeader)
	}
	return judged, stats, nil
}

// link looks the judged documents up and builds the anchors.
func link(judged []judgement, corpus *Side, stats *QrelStats) ([]Anchor, error) {
	b := newAnchorBuilder()
	for _, j := range judged {
		c, ok := corpus.Lookup(j.doc)
		if !ok {
			stats.UnknownDocument++
			continue
		}
		stats.Used++
		if !b.add(j.query, c) {
			stats.Duplicate++
		}
	}
	if stats.Used == 0 {
		return nil, fmt.Errorf("%w: none of the %d judgements links a known query to a known document with a score above 0 (%d not positive, %d unknown queries, %d unknown documents)",
			ErrNoQrels, stats.Judgements, stats.NotPositive, stats.UnknownQuery, stats.UnknownDocument)
	}
	return b.anchors(), nil
}
