package mine

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"

	"github.com/hardneg/hardneg/source"
)

// inputs is what the read phase produced: the problem, the embeddings
// opened (not loaded; the caller closes them) and the inputs' provenance,
// hashed beside the real work.
type inputs struct {
	problem *source.Problem
	// queryEmb and corpusEmb embed the two sides; the same when the sides
	// are (the synonym job).
	queryEmb, corpusEmb *source.Embeddings
	pairs               *source.PairStats
	qrels               *source.QrelStats
	hashes              chan hashed
	hashesGot           *hashed
	general             bool
	// textBytes is what the resident texts take on disk: the term list, or
	// the queries.
	textBytes int64
}

func (in *inputs) close() {
	in.corpusEmb.Close()
	if in.queryEmb != in.corpusEmb {
		in.queryEmb.Close()
	}
}

type hashed struct {
	files []FileStats // in the order of inputFiles
	err   error
}

// inputFiles lists the input paths in the order the stats file records them.
func inputFiles(in Inputs) []string {
	if in.General() {
		return []string{in.Corpus, in.CorpusEmbeddings, in.Queries, in.QueryEmbeddings, in.Qrels}
	}
	return []string{in.Pairs, in.Terms, in.Embeddings}
}

// hashInputs records the size and SHA-256 of each path, beside the real
// work; the result arrives on the channel.
func hashInputs(paths []string) chan hashed {
	c := make(chan hashed, 1)
	go func() {
		h := hashed{files: make([]FileStats, len(paths))}
		for i, p := range paths {
			if h.files[i], h.err = fileStats(p); h.err != nil {
				break
			}
		}
		c <- h
	}()
	return c
}

// readInputs reads the texts and the positives into a problem, opens the
// embeddings, checks them against the texts, and starts hashing the files.
func readInputs(s Settings, hooks Hooks) (*inputs, error) {
	return readInputsFor(s, hooks, true)
}

// readInputsFor is readInputs, hashing the files only when hash is set
// (the stats file records the hashes; the cost model needs none).
func readInputsFor(s Settings, hooks Hooks, hash bool) (*inputs, error) {
	in := &inputs{general: s.Inputs.General()}
	if hash {
		in.hashes = hashInputs(inputFiles(s.Inputs))
	}
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
		in.textBytes = fileSize(f.Terms)
		hooks.logf("read %d terms, %d pairs (%d skipped: %d out of vocabulary, %d self-pairs), %d anchors",
			p.Corpus.Len(), stats.Pairs, stats.Skipped(), stats.SkippedOOV, stats.SkippedSelf, len(p.Anchors))
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
	in.textBytes = fileSize(f.Queries)
	hooks.logf("read %d documents, %d queries, %d judgements (%d used, %d not positive, %d with an unknown query, %d with an unknown document), %d anchors",
		p.Corpus.Len(), p.Queries.Len(), stats.Judgements, stats.Used, stats.NotPositive, stats.UnknownQuery, stats.UnknownDocument, len(p.Anchors))
	return in, nil
}

// inputStats waits for the hashes and returns the provenance the stats file
// records.
func (in *inputs) inputStats() (InputStats, error) {
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
	f := h.files
	if !in.general {
		st.Pairs, st.Terms, st.Embeddings = &f[0], &f[1], &f[2]
		return st, nil
	}
	st.Corpus, st.CorpusEmbeddings, st.Queries, st.QueryEmbeddings, st.Qrels = &f[0], &f[1], &f[2], &f[3], &f[4]
	st.QueryShape = []int{in.queryEmb.Rows(), in.queryEmb.Cols()}
	st.QueryDType = string(in.queryEmb.DType())
	return st, nil
}

// fileStats reads path once to record its size and SHA-256.
func fileStats(path string) (FileStats, error) {
	f, err := os.Open(path)
	if err != nil {
		return FileStats{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return FileStats{}, fmt.Errorf("hash %s: %w", path, err)
	}
	return FileStats{Path: path, Bytes: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
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
