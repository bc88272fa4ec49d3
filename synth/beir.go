package synth

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"

	"github.com/hardneg/hardneg/npy"
	"github.com/hardneg/hardneg/output"
	"github.com/hardneg/hardneg/source"
)

// BEIR file names, the layout BEIR data sets use, plus the embeddings
// beside them and the held-out judgements.
const (
	BEIRCorpus           = "corpus.jsonl"
	BEIRQueries          = "queries.jsonl"
	BEIRQrels            = "qrels/train.tsv"
	BEIRCorpusEmbeddings = "corpus_embeddings.npy"
	BEIRQueryEmbeddings  = "query_embeddings.npy"
	// BEIRHeldOut lists relevant documents the qrels do not judge, as a
	// qrels TSV: ground truth for counting false negatives. mine never
	// reads it.
	BEIRHeldOut = "heldout_qrels.tsv"
)

// BEIRConfig says what GenerateBEIR makes.
type BEIRConfig struct {
	Docs    int // corpus size, near-copies included
	Queries int // queries; each has 1 to 3 judged positives
	Dim     int
	Seed    uint64
	DType   npy.DType
	// HeldOut is the share of queries that also have relevant documents
	// the qrels do not judge (unjudged relevant documents, and near-copies
	// of a judged positive): the false negatives a miner should avoid.
	HeldOut float64
}

// DefaultBEIRConfig is the demo size: it mines in about a second.
func DefaultBEIRConfig() BEIRConfig {
	return BEIRConfig{Docs: 20000, Queries: 1000, Dim: 128, Seed: 42, DType: npy.Float32, HeldOut: 0.5}
}

// BEIRData is a generated corpus with queries and judgements, in memory.
type BEIRData struct {
	Config           BEIRConfig
	DocIDs, Titles   []string
	Texts            []string
	QueryIDs         []string
	QueryTexts       []string
	CorpusEmbeddings []float32 // Docs x Dim, not unit length
	QueryEmbeddings  []float32 // Queries x Dim, not unit length
	// Qrels are the judgement lines in file order, real-life noise
	// included: a few judged non-relevant (score 0), a few naming an
	// unknown document, a few repeated.
	Qrels []Qrel
	// HeldOut are the relevant documents the qrels do not judge.
	HeldOut []Qrel
}

// Qrel is one judgement line.
type Qrel struct {
	Query, Doc string
	Score      int
}

// The geometry, as shares of a vector's squared norm. A background document
// is global + topic + noise: two documents of one topic have a cosine near
// 0.30 + topic share (0.55 to 0.75, the medium and hard bands), two of
// different topics near 0.30 (the easy band's edge, where real data's bulk
// sits). A query is built the same way, and its relevant documents are the
// query plus noise at cosines 0.76 to 0.9; a near-copy of a judged positive
// is that positive plus a little noise (cosine 0.96 to 0.995 to it).
const (
	beirGlobalShare = 0.30
	beirTopicShare  = 0.35 // mean; each document draws 0.25 to 0.45
	beirTopicDocs   = 60   // documents per topic
)

// GenerateBEIR makes a BEIR-layout data set.
func GenerateBEIR(cfg BEIRConfig) (*BEIRData, error) {
	switch {
	case cfg.Queries < 1 || cfg.Docs < 8*cfg.Queries:
		return nil, fmt.Errorf("synth: %d documents for %d queries: want at least 8 documents per query", cfg.Docs, cfg.Queries)
	case cfg.Dim < 8:
		return nil, fmt.Errorf("synth: dimension %d: want at least 8", cfg.Dim)
	case int64(cfg.Docs)*int64(cfg.Dim) >= maxElems:
		return nil, fmt.Errorf("synth: %d x %d is too large", cfg.Docs, cfg.Dim)
	case !(cfg.HeldOut >= 0 && cfg.HeldOut <= 1):
		return nil, fmt.Errorf("synth: held-out share %v is not in [0, 1]", cfg.HeldOut)
	}
	d := &BEIRData{Config: cfg}
	dim := cfg.Dim
	g := newRand(cfg.Seed, streamGlobal, 1)
	global := unitVector(g, dim)
	nTopics := max(1, cfg.Docs/beirTopicDocs)
	topics := make([][]float32, nTopics)
	for k := range topics {
		topics[k] = unitVector(newRand(cfg.Seed, streamTopic, uint64(k)+1<<40), dim)
	}

	// Queries, their relevant documents and near-copies come first in a
	// plan; background documents fill the rest of the corpus.
	type rel struct {
		query  int
		of     int     // for a near-copy, the document it copies; -1 otherwise
		cos    float64 // target cosine to the query, or to the copied document
		judged bool
	}
	var plan []rel
	d.QueryEmbeddings = make([]float32, cfg.Queries*dim)
	queryTopic := make([]int, cfg.Queries)
	for q := range cfg.Queries {
		r := newRand(cfg.Seed, streamPairs, uint64(q))
		queryTopic[q] = r.IntN(nTopics)
		mix(d.QueryEmbeddings[q*dim:(q+1)*dim], r, global, topics[queryTopic[q]], uniform(r, 0.25, 0.45))
		judged := 1 + r.IntN(3)
		first := len(plan)
		for range judged {
			plan = append(plan, rel{query: q, of: -1, cos: uniform(r, 0.76, 0.9), judged: true})
		}
		if r.Float64() < cfg.HeldOut {
			for range 1 + r.IntN(2) { // relevant, not judged
				plan = append(plan, rel{query: q, of: -1, cos: uniform(r, 0.76, 0.9)})
			}
			for range 1 + r.IntN(2) { // a near-copy of a judged positive
				plan = append(plan, rel{query: q, of: first + r.IntN(judged), cos: uniform(r, 0.96, 0.995)})
			}
		}
	}
	if len(plan) > cfg.Docs/2 {
		return nil, fmt.Errorf("synth: %d relevant documents do not fit in %d", len(plan), cfg.Docs)
	}
	// Spread the planned documents over the corpus at random rows.
	rows := newRand(cfg.Seed, streamLayout, 7).Perm(cfg.Docs)
	planRow := make([]int, len(plan))
	isPlanned := make([]int, cfg.Docs) // 1 + plan index, 0 for background
	for i := range plan {
		planRow[i] = rows[i]
		isPlanned[rows[i]] = i + 1
	}
	d.CorpusEmbeddings = make([]float32, cfg.Docs*dim)
	// Background documents in parallel: each row has its own stream.
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Go(func() {
			for row := w; row < cfg.Docs; row += workers {
				if isPlanned[row] != 0 {
					continue
				}
				r := newRand(cfg.Seed, streamTopic, uint64(row))
				mix(d.CorpusEmbeddings[row*dim:(row+1)*dim], r, global, topics[r.IntN(nTopics)], uniform(r, 0.25, 0.45))
			}
		})
	}
	wg.Wait()
	// Relevant documents, then near-copies of them (their originals exist
	// by then).
	for pass := range 2 {
		for i, p := range plan {
			if (p.of >= 0) != (pass == 1) {
				continue
			}
			r := newRand(cfg.Seed, streamHeldOut, uint64(i))
			dst := d.CorpusEmbeddings[planRow[i]*dim : (planRow[i]+1)*dim]
			src := d.QueryEmbeddings[p.query*dim : (p.query+1)*dim]
			if p.of >= 0 {
				src = d.CorpusEmbeddings[planRow[p.of]*dim : (planRow[p.of]+1)*dim]
			}
			around(dst, r, src, p.cos)
		}
	}

	// Ids and texts.
	names := newRand(cfg.Seed, streamNames, 1)
	d.DocIDs = make([]string, cfg.Docs)
	d.Titles = make([]string, cfg.Docs)
	d.Texts = make([]string, cfg.Docs)
	for row := range cfg.Docs {
		switch {
		case row%97 == 5:
			d.DocIDs[row] = strconv.Itoa(row) // numeric-looking ids occur
		case row%97 == 6:
			d.DocIDs[row] = fmt.Sprintf("%04d", row) // and leading zeros: a different id
		default:
			d.DocIDs[row] = fmt.Sprintf("doc%07d", row)
		}
		if names.IntN(3) > 0 {
			d.Titles[row] = fmt.Sprintf("Title %d", row)
		}
		d.Texts[row] = docText(names, row, isPlanned[row])
	}
	d.QueryIDs = make([]string, cfg.Queries)
	d.QueryTexts = make([]string, cfg.Queries)
	for q := range cfg.Queries {
		d.QueryIDs[q] = fmt.Sprintf("q%06d", q)
		d.QueryTexts[q] = fmt.Sprintf("question %d about topic %d?", q, queryTopic[q])
	}

	// Judgements: the judged positives, plus real-life noise.
	noise := newRand(cfg.Seed, streamBlank, 3)
	for i, p := range plan {
		line := Qrel{Query: d.QueryIDs[p.query], Doc: d.DocIDs[planRow[i]], Score: 1 + noise.IntN(2)}
		if !p.judged {
			d.HeldOut = append(d.HeldOut, Qrel{Query: line.Query, Doc: line.Doc, Score: 1})
			continue
		}
		d.Qrels = append(d.Qrels, line)
		switch noise.IntN(40) {
		case 0: // judged non-relevant
			d.Qrels = append(d.Qrels, Qrel{Query: line.Query, Doc: d.DocIDs[noise.IntN(cfg.Docs)], Score: 0})
		case 1: // a document that is not in the corpus
			d.Qrels = append(d.Qrels, Qrel{Query: line.Query, Doc: "missing-" + line.Doc, Score: 1})
		case 2: // a repeated line
			d.Qrels = append(d.Qrels, line)
		}
	}
	return d, nil
}

// docText is a document's text: a few words, with the quotes, line breaks
// and non-ASCII text real corpora hold.
func docText(r *rand.Rand, row, planned int) string {
	words := []string{"retrieval", "négatif", "임베딩", "corpus", "\"quoted\"", "line\nbreak", "tab\there", "検索", "data"}
	s := fmt.Sprintf("document %d:", row)
	for range 3 + r.IntN(6) {
		s += " " + words[r.IntN(len(words))]
	}
	if planned > 0 {
		s += " (relevant)"
	}
	return s
}

// unitVector draws a random unit vector.
func unitVector(r *rand.Rand, dim int) []float32 {
	v := make([]float32, dim)
	for {
		var ss float64
		for i := range v {
			v[i] = float32(r.NormFloat64())
			ss += float64(v[i]) * float64(v[i])
		}
		if ss > 0 {
			inv := float32(1 / math.Sqrt(ss))
			for i := range v {
				v[i] *= inv
			}
			return v
		}
	}
}

// mix writes a vector with the given share of the topic direction, the
// global share of the global one, and noise for the rest, then scales it by
// a random length (rows are deliberately not unit length).
func mix(dst []float32, r *rand.Rand, global, topic []float32, topicShare float64) {
	noise := unitVector(r, len(dst))
	wg, wt := math.Sqrt(beirGlobalShare), math.Sqrt(topicShare)
	wn := math.Sqrt(max(0, 1-beirGlobalShare-topicShare))
	scale := uniform(r, 0.5, 2)
	for i := range dst {
		dst[i] = float32(scale * (wg*float64(global[i]) + wt*float64(topic[i]) + wn*float64(noise[i])))
	}
}

// around writes a vector whose cosine to src is about cos: src's direction
// plus an independent random direction (nearly orthogonal in many
// dimensions).
func around(dst []float32, r *rand.Rand, src []float32, cos float64) {
	var ss float64
	for _, v := range src {
		ss += float64(v) * float64(v)
	}
	inv := 1 / math.Sqrt(ss)
	noise := unitVector(r, len(dst))
	w := math.Sqrt(1 - cos*cos)
	scale := uniform(r, 0.5, 2)
	for i := range dst {
		dst[i] = float32(scale * (cos*float64(src[i])*inv + w*float64(noise[i])))
	}
}

// WriteDir writes the BEIR layout into dir: corpus.jsonl, queries.jsonl,
// qrels/train.tsv, the two embedding files, and BEIRHeldOut.
func (d *BEIRData) WriteDir(dir string) error {
	if err := os.MkdirAll(filepath.Join(dir, "qrels"), 0o755); err != nil {
		return fmt.Errorf("synth: create output directory: %w", err)
	}
	err := writeFile(filepath.Join(dir, BEIRCorpus), func(w *bufio.Writer) error {
		for i, id := range d.DocIDs {
			b := append([]byte(`{"_id": `), output.AppendString(nil, id)...)
			b = append(b, `, "title": `...)
			b = output.AppendString(b, d.Titles[i])
			b = append(b, `, "text": `...)
			b = output.AppendString(b, d.Texts[i])
			b = append(b, `, "metadata": {}}`+"\n"...)
			w.Write(b)
		}
		return nil
	})
	if err == nil {
		err = writeFile(filepath.Join(dir, BEIRQueries), func(w *bufio.Writer) error {
			for i, id := range d.QueryIDs {
				b := append([]byte(`{"_id": `), output.AppendString(nil, id)...)
				b = append(b, `, "text": `...)
				b = output.AppendString(b, d.QueryTexts[i])
				w.Write(append(b, "}\n"...))
			}
			return nil
		})
	}
	for _, f := range []struct {
		name  string
		lines []Qrel
	}{{BEIRQrels, d.Qrels}, {BEIRHeldOut, d.HeldOut}} {
		if err != nil {
			break
		}
		err = writeFile(filepath.Join(dir, f.name), func(w *bufio.Writer) error {
			fmt.Fprintln(w, source.QrelsHeader)
			for _, q := range f.lines {
				fmt.Fprintf(w, "%s\t%s\t%d\n", q.Query, q.Doc, q.Score)
			}
			return nil
		})
	}
	if err != nil {
		return err
	}
	c := d.Config
	if err := npy.Write(filepath.Join(dir, BEIRCorpusEmbeddings), c.Docs, c.Dim, d.CorpusEmbeddings, c.DType); err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	if err := npy.Write(filepath.Join(dir, BEIRQueryEmbeddings), c.Queries, c.Dim, d.QueryEmbeddings, c.DType); err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	return nil
}
