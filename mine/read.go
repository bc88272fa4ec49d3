package mine

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/hardneg/hardneg/source"
)

// inputs is what the read phase produced: the problem, the embeddings
// opened (not loaded; the caller closes them) and the inputs' provenance.
// The text files are hashed by the readers as they parse them; the
// embeddings are hashed from their mapping beside the real work. Every
// input is read once, so a pipe gives its bytes to the parser and the
// digest alike.
type inputs struct {
	problem *source.Problem
	// queryEmb and corpusEmb embed the two sides; the same when the sides
	// are (the synonym job).
	queryEmb, corpusEmb *source.Embeddings
	pairs               *source.PairStats
	qrels               *source.QrelStats
	general             bool
	paths               Inputs
	// textBytes is what the resident texts took to read: the term list, or
	// the queries.
	textBytes int64
	// restoreLimit puts back the runtime's memory limit a run set.
	restoreLimit func()
	// The embeddings' digests arrive on hashes; stop asks the hashing to
	// end early, and close waits for it before unmapping.
	hashes    chan hashed
	hashesGot *hashed
	stop      chan struct{}
}

func (in *inputs) close() {
	if in.restoreLimit != nil {
		in.restoreLimit()
		in.restoreLimit = nil
	}
	if in.stop != nil && in.hashes != nil {
		close(in.stop)
		in.stop = nil
		if in.hashesGot == nil {
			h := <-in.hashes
			in.hashesGot = &h
		}
	}
	in.corpusEmb.Close()
	if in.queryEmb != in.corpusEmb {
		in.queryEmb.Close()
	}
}

// hashed is the digests of the embedding files, corpus then queries.
type hashed struct {
	files []FileStats
	err   error
}

// inputFiles lists the input paths in the order the stats file records them.
func inputFiles(in Inputs) []string {
	if in.General() {
		return []string{in.Corpus, in.CorpusEmbeddings, in.Queries, in.QueryEmbeddings, in.Qrels}
	}
	return []string{in.Pairs, in.Terms, in.Embeddings}
}

// OOVWarnShare is the share of pairs out of vocabulary (or of positive
// judgements naming an unknown query or document) above which a run warns.
const OOVWarnShare = 0.05

func share(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

// errStopped ends a hashing that is no longer wanted.
var errStopped = errors.New("stopped")

// stopWriter passes writes on until stop is closed.
type stopWriter struct {
	w    io.Writer
	stop chan struct{}
}

func (s stopWriter) Write(p []byte) (int, error) {
	select {
	case <-s.stop:
		return 0, errStopped
	default:
		return s.w.Write(p)
	}
}

// hashEmbeddings hashes the mapped embedding files beside the real work.
func (in *inputs) hashEmbeddings() {
	in.hashes, in.stop = make(chan hashed, 1), make(chan struct{})
	embs := []*source.Embeddings{in.corpusEmb}
	if in.queryEmb != in.corpusEmb {
		embs = append(embs, in.queryEmb)
	}
	stop := in.stop
	go func() {
		var h hashed
		for _, e := range embs {
			sum := sha256.New()
			n, err := e.File().WriteTo(stopWriter{sum, stop})
			if err != nil {
				h.err = fmt.Errorf("hash %s: %w", e.Path(), err)
				break
			}
			h.files = append(h.files, FileStats{Path: e.Path(), Bytes: n, SHA256: hex.EncodeToString(sum.Sum(nil))})
		}
		in.hashes <- h
	}()
}

// readInputs reads the texts and the positives into a problem, opens the
// embeddings, checks them against the texts, and starts hashing them.
func readInputs(s Settings, hooks Hooks) (*inputs, error) {
	return readInputsFor(s, hooks, true)
}

// readInputsFor is readInputs, hashing the embeddings only when hash is set
// (the stats file records the hashes; the cost model needs none). The texts
// are hashed as they are read either way.
func readInputsFor(s Settings, hooks Hooks, hash bool) (*inputs, error) {
	in := &inputs{general: s.Inputs.General(), paths: s.Inputs}
	f := s.Inputs
	if !in.general {
		p, stats, err := source.ReadSynonyms(f.Terms, f.Pairs)
		if err != nil {
			return nil, inputErr(err)
		}
		emb, err := source.OpenEmbeddings(f.Embeddings, p.Corpus, f.Terms, "term")
		if err != nil {
			return nil, inputErr(err)
		}
		in.problem, in.pairs, in.queryEmb, in.corpusEmb = p, &stats, emb, emb
		in.textBytes = p.Files[0].Bytes // the term list
		if hash {
			in.hashEmbeddings()
		}
		hooks.logf("read %d terms, %d pairs (%d skipped: %d out of vocabulary, %d self-pairs), %d anchors",
			p.Corpus.Len(), stats.Pairs, stats.Skipped(), stats.SkippedOOV, stats.SkippedSelf, len(p.Anchors))
		if stats.MatchedNFC > 0 {
			hooks.logf("%d pair terms matched a term of %s only under Unicode NFC (counted in the stats file's pairs.matched_nfc)", stats.MatchedNFC, f.Terms)
		}
		if share(stats.SkippedOOV, stats.Pairs) > OOVWarnShare {
			hooks.warnf("%d of %d pairs in %s (%.1f%%) name a term that is not in %s and were skipped: %s; do the pairs and the term list come from the same vocabulary?",
				stats.SkippedOOV, stats.Pairs, f.Pairs, 100*share(stats.SkippedOOV, stats.Pairs), f.Terms, stats.OOV.Summary())
		}
		return in, nil
	}
	p, stats, err := source.ReadBEIR(source.BEIRPaths{Corpus: f.Corpus, Queries: f.Queries, Qrels: f.Qrels})
	if err != nil {
		return nil, inputErr(err)
	}
	cemb, err := source.OpenEmbeddings(f.CorpusEmbeddings, p.Corpus, f.Corpus, "document")
	if err != nil {
		return nil, inputErr(err)
	}
	qemb, err := source.OpenEmbeddings(f.QueryEmbeddings, p.Queries, f.Queries, "query")
	if err != nil {
		cemb.Close()
		return nil, inputErr(err)
	}
	if qemb.Cols() != cemb.Cols() {
		cemb.Close()
		qemb.Close()
		return nil, fmt.Errorf("%w: %s has %d columns but %s has %d; queries and documents must be embedded by the same model",
			ErrInput, f.QueryEmbeddings, qemb.Cols(), f.CorpusEmbeddings, cemb.Cols())
	}
	in.problem, in.qrels, in.queryEmb, in.corpusEmb = p, &stats, qemb, cemb
	in.textBytes = p.Files[1].Bytes // the queries
	if hash {
		in.hashEmbeddings()
	}
	if unknown := stats.UnknownQuery + stats.UnknownDocument; share(unknown, stats.Used+unknown) > OOVWarnShare {
		hooks.warnf("%d of %d positive judgements in %s (%.1f%%) name a query or a document in neither %s nor %s and were skipped (%d queries, %d documents); do the qrels belong to this corpus?",
			unknown, stats.Used+unknown, f.Qrels, 100*share(unknown, stats.Used+unknown), f.Queries, f.Corpus, stats.UnknownQuery, stats.UnknownDocument)
	}
	hooks.logf("read %d documents, %d queries, %d judgements (%d used, %d not positive, %d with an unknown query, %d with an unknown document), %d anchors",
		p.Corpus.Len(), p.Queries.Len(), stats.Judgements, stats.Used, stats.NotPositive, stats.UnknownQuery, stats.UnknownDocument, len(p.Anchors))
	return in, nil
}

// inputStats waits for the embeddings' digests and returns the provenance
// the stats file records.
func (in *inputs) inputStats() (InputStats, error) {
	if in.hashes == nil {
		panic("mine: inputStats of inputs read without hashing")
	}
	if in.hashesGot == nil {
		h := <-in.hashes
		in.hashesGot = &h
	}
	h := in.hashesGot
	if h.err != nil {
		return InputStats{}, fmt.Errorf("%w: %w", ErrInput, h.err)
	}
	st := InputStats{
		Shape: []int{in.corpusEmb.Rows(), in.corpusEmb.Cols()}, DType: string(in.corpusEmb.DType()),
	}
	texts := in.problem.Files
	if !in.general {
		terms, pairs := texts[0], texts[1]
		st.Pairs, st.Terms, st.Embeddings = &pairs, &terms, &h.files[0]
		return st, nil
	}
	corpus, queries, qrels := texts[0], texts[1], texts[2]
	st.Corpus, st.Queries, st.Qrels = &corpus, &queries, &qrels
	st.CorpusEmbeddings, st.QueryEmbeddings = &h.files[0], &h.files[0]
	if len(h.files) > 1 {
		st.QueryEmbeddings = &h.files[1]
	}
	st.QueryShape = []int{in.queryEmb.Rows(), in.queryEmb.Cols()}
	st.QueryDType = string(in.queryEmb.DType())
	return st, nil
}

// inputErr marks an error from a reader as bad input.
func inputErr(err error) error {
	return fmt.Errorf("%w: %w", ErrInput, err)
}

// IDHash is an item's identity for sampling keys and shards: FNV-1a of its
// id's UTF-8 bytes (source.IDHash).
func IDHash(id string) uint64 { return source.IDHash(id) }

// fileSize is the size of path, or 0.
func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}
