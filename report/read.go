package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/hardneg/hardneg/format"
)

// statsFile is the stats file mine writes; a test in this package holds it
// equal to mine's constant without importing mine.
const statsFile = "data_preparation_stats.json"

// Similarity histograms use one fixed grid over the cosine range, binsPerUnit
// bins per unit of similarity (0.005 wide), so a value's bin does not depend
// on the bands and every bin edge is a multiple of the width.
const (
	binsPerUnit = 200
	numBins     = 2 * binsPerUnit // [-1, 1]
)

// maxLine bounds one JSONL line; a triplet is a few hundred bytes.
const maxLine = 16 << 20

// band is one similarity band from the stats file.
type band struct {
	Name   string
	Lo, Hi float64
	Ratio  float64 // NaN when the stats file has no <band>_ratio
}

// stats is what the charts need from data_preparation_stats.json.
type stats struct {
	Bands    []band             // in increasing Lo
	Quota    string             // "" when the file does not say
	Target   map[string]float64 // percent per band; nil when absent
	Achieved map[string]float64 // percent per band; nil when absent
	Total    int                // dataset.total_triplets; 0 when absent
	Skipped  int                // dataset.skipped_anchors: anchors without a triplet
	// Format and WithScores say what the JSONL rows are; a stats file
	// without a format section (the notebook's) holds triplets.
	Format     format.Name
	WithScores bool
}

// readStats reads the bands and the mix from a stats file. It accepts the
// notebook's file too, which has the config and difficulty_distribution but
// no mix.
func readStats(path string) (*stats, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("report: read stats: %w", err)
	}
	var raw struct {
		Config  map[string]json.RawMessage `json:"config"`
		Dataset struct {
			Total   int `json:"total_triplets"`
			Skipped int `json:"skipped_anchors"`
		} `json:"dataset"`
		Mix struct {
			Quota    string             `json:"quota"`
			Target   map[string]float64 `json:"target_percent"`
			Achieved map[string]float64 `json:"achieved_percent"`
		} `json:"mix"`
		Format struct {
			Format     string `json:"format"`
			WithScores bool   `json:"with_scores"`
		} `json:"format"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("report: %s: %w: %w", path, ErrInput, err)
	}
	s := &stats{Quota: raw.Mix.Quota, Target: raw.Mix.Target, Achieved: raw.Mix.Achieved, Total: raw.Dataset.Total, Skipped: raw.Dataset.Skipped,
		Format: format.Triplet, WithScores: raw.Format.WithScores}
	if raw.Format.Format != "" {
		if s.Format, err = format.Parse(raw.Format.Format); err != nil {
			return nil, fmt.Errorf("report: %s: %w: %w", path, ErrInput, err)
		}
	}
	if q, ok := raw.Config["quota"]; ok && s.Quota == "" {
		_ = json.Unmarshal(q, &s.Quota) // only a label in a title
	}
	for key, v := range raw.Config {
		name, ok := strings.CutSuffix(key, "_range")
		if !ok || name == "" {
			continue
		}
		var r []float64
		if err := json.Unmarshal(v, &r); err != nil || len(r) != 2 || !(r[0] < r[1]) {
			return nil, fmt.Errorf("report: %s: %w: config.%s is %s, not a range [lo, hi] with lo < hi", path, ErrInput, key, v)
		}
		b := band{Name: name, Lo: r[0], Hi: r[1], Ratio: math.NaN()}
		if rv, ok := raw.Config[name+"_ratio"]; ok {
			if err := json.Unmarshal(rv, &b.Ratio); err != nil {
				return nil, fmt.Errorf("report: %s: %w: config.%s_ratio is %s, not a number", path, ErrInput, name, rv)
			}
		}
		s.Bands = append(s.Bands, b)
	}
	if len(s.Bands) == 0 {
		return nil, fmt.Errorf("report: %s: %w: config has no <band>_range entries", path, ErrInput)
	}
	// Map order is random; bands never overlap, so Lo orders them as mine
	// listed them. Name breaks ties in a file that breaks that rule.
	slices.SortFunc(s.Bands, func(a, b band) int {
		if c := cmpFloat(a.Lo, b.Lo); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return s, nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// tally counts what the charts show from the JSONL files, line by line, in
// memory proportional to the anchors and their distinct positives and
// negatives, not to the lines.
type tally struct {
	// Labels are the difficulty labels in first-seen order; index i owns
	// Triplets[i] and Hist[i].
	Labels []string
	label  map[string]int
	// Triplets counts lines per label.
	Triplets []int
	// Hist counts distinct (anchor, negative) pairs per label in bins of
	// 1/binsPerUnit over [-1, 1]: bin i is [i/binsPerUnit - 1, (i+1)/binsPerUnit - 1).
	// A similarity of 1 or more falls in the last bin, -1 or less in the first.
	Hist [][numBins]int
	// Lines counts triplet lines read; blank lines are skipped.
	Lines int

	anchors map[uint64]*seen // by hash64 of the anchor
}

// seen holds hashes of an anchor's distinct positives and negatives. Lists
// stay short (a few negatives, a handful of positives), so a linear search
// beats a map and keeps the memory per anchor small.
type seen struct {
	pos, neg []uint64
	negLabel []int // the label of each negative's first line
}

func newTally() *tally {
	return &tally{label: map[string]int{}, anchors: map[uint64]*seen{}}
}

// triplet is one line of the triplet format. Pointers tell a missing field
// from a zero one.
type triplet struct {
	Anchor     *string  `json:"anchor"`
	Positive   *string  `json:"positive"`
	Negative   *string  `json:"negative"`
	Similarity *float64 `json:"negative_similarity"`
	Difficulty *string  `json:"difficulty"`
}

// readJSONL adds every line of a JSONL file of the stats' format to t,
// as (anchor, positive, negative, similarity, difficulty) triplets. Errors
// name the file and the line.
func (t *tally) readJSONL(path string, st *stats) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("report: read triplets: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<16), maxLine)
	line := 0
	for sc.Scan() {
		line++
		if err := t.addLine(sc.Bytes(), st); err != nil {
			return fmt.Errorf("report: %s: line %d: %w: %w", path, line, ErrInput, err)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fmt.Errorf("report: %s: line %d: %w: longer than %d MiB", path, line+1, ErrInput, maxLine>>20)
		}
		return fmt.Errorf("report: %s: line %d: %w", path, line+1, err)
	}
	return nil
}

// addLine parses one line and counts it; a blank line counts nothing.
func (t *tally) addLine(b []byte, st *stats) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil
	}
	switch st.Format {
	case format.NTuple:
		return t.addNTuple(b, st)
	case format.LabeledList:
		return t.addLabeledList(b, st)
	case format.FlagEmbedding:
		return t.addFlagEmbedding(b, st)
	}
	var tr triplet
	if err := json.Unmarshal(b, &tr); err != nil {
		return err
	}
	for _, f := range []struct {
		ok   bool
		name string
	}{
		{tr.Anchor != nil, "anchor"}, {tr.Positive != nil, "positive"}, {tr.Negative != nil, "negative"},
		{tr.Similarity != nil, "negative_similarity"}, {tr.Difficulty != nil, "difficulty"},
	} {
		if !f.ok {
			return fmt.Errorf("missing %q", f.name)
		}
	}
	t.add([]byte(*tr.Anchor), []byte(*tr.Positive), []byte(*tr.Negative), *tr.Similarity, []byte(*tr.Difficulty))
	return nil
}

// add counts one triplet. Mine writes every positive of an anchor with
// every one of its negatives, so a negative repeats once per positive: the
// histogram takes the first line of each (anchor, negative) only.
func (t *tally) add(anchor, positive, negative []byte, sim float64, difficulty []byte) {
	t.Lines++
	li, ok := t.label[string(difficulty)]
	if !ok {
		name := string(difficulty)
		li = len(t.Labels)
		t.label[name] = li
		t.Labels = append(t.Labels, name)
		t.Triplets = append(t.Triplets, 0)
		t.Hist = append(t.Hist, [numBins]int{})
	}
	t.Triplets[li]++

	ah := hash64(anchor)
	a := t.anchors[ah]
	if a == nil {
		a = &seen{}
		t.anchors[ah] = a
	}
	if p := hash64(positive); !slices.Contains(a.pos, p) {
		a.pos = append(a.pos, p)
	}
	if n := hash64(negative); !slices.Contains(a.neg, n) {
		a.neg = append(a.neg, n)
		a.negLabel = append(a.negLabel, li)
		t.Hist[li][bin(sim)]++
	}
}

// spread counts, for label li, the anchors with triplets by how many of
// their distinct negatives carry the label: spread[k] anchors have k.
func (t *tally) spread(li int) []int {
	var out []int
	for _, a := range t.anchors {
		k := 0
		for _, l := range a.negLabel {
			if l == li {
				k++
			}
		}
		for len(out) <= k {
			out = append(out, 0)
		}
		out[k]++
	}
	return out
}

// hash64 is FNV-1a, 64 bits. A fixed hash keeps the charts a function of the
// files alone; two of a million anchors colliding has odds below 1e-7.
func hash64(s []byte) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// bin is the histogram bin of a similarity: the i with
// binLo(i) <= sim < binLo(i+1), clamped to the grid. The product can round
// across a bin edge, so the guess is checked against binLo, which draws the
// edges, and a value is never drawn on the wrong side of one.
func bin(sim float64) int {
	if !(sim > -1) { // NaN too, though JSON cannot spell it
		return 0
	}
	if sim >= 1 {
		return numBins - 1
	}
	i := int(math.Floor(sim*binsPerUnit)) + binsPerUnit
	switch {
	case binLo(i) > sim:
		i--
	case binLo(i+1) <= sim:
		i++
	}
	return min(max(i, 0), numBins-1)
}

// binLo is the lower edge of bin i.
func binLo(i int) float64 { return float64(i-binsPerUnit) / binsPerUnit }

// positives returns, for every count of distinct positives, how many anchors
// have it; only anchors with at least one triplet are in the files.
func (t *tally) positives() map[int]int {
	m := map[int]int{}
	for _, a := range t.anchors {
		m[len(a.pos)]++
	}
	return m
}

// labelIndex returns the index of a difficulty label, or -1.
func (t *tally) labelIndex(name string) int {
	if i, ok := t.label[name]; ok {
		return i
	}
	return -1
}

// CanRead reports whether report can draw a run's outputs, and why not: it
// needs each negative's similarity and to tell positives from negatives.
func CanRead(f format.Name, withScores bool) error {
	switch {
	case f == format.Triplet:
		return nil
	case f == format.LabeledPair:
		return fmt.Errorf("%w: the labeled-pair format does not tell which texts are positives once scores replace the labels, and has no similarities without them; mine with --format triplet (or n-tuple, labeled-list or flagembedding with --with-scores) to draw charts", ErrInput)
	case !withScores:
		return fmt.Errorf("%w: the %s format holds no similarities without --with-scores; mine with --with-scores, or with --format triplet, to draw charts", ErrInput, f)
	}
	return nil
}

// addGroup counts an anchor's rows of a grouped format: every positive
// with every negative, each negative labelled by the band its similarity
// falls in.
func (t *tally) addGroup(st *stats, anchor string, positives, negatives []string, sims []float64) error {
	if len(sims) != len(negatives) {
		return fmt.Errorf("%d negatives but %d scores", len(negatives), len(sims))
	}
	for _, p := range positives {
		for j, n := range negatives {
			t.add([]byte(anchor), []byte(p), []byte(n), sims[j], []byte(st.bandOf(sims[j])))
		}
	}
	return nil
}

// bandOf names the band holding sim under the half-open rule, or "none".
func (s *stats) bandOf(sim float64) string {
	for _, b := range s.Bands {
		if sim >= b.Lo && sim < b.Hi {
			return b.Name
		}
	}
	return "none"
}

func (t *tally) addNTuple(b []byte, st *stats) error {
	var row map[string]json.RawMessage
	if err := json.Unmarshal(b, &row); err != nil {
		return err
	}
	var anchor, positive string
	var scores []float64
	for _, f := range []struct {
		name string
		v    any
	}{{"anchor", &anchor}, {"positive", &positive}, {"scores", &scores}} {
		if err := json.Unmarshal(row[f.name], f.v); err != nil || row[f.name] == nil {
			return fmt.Errorf("missing or bad %q", f.name)
		}
	}
	var negs []string
	for k := 1; ; k++ {
		raw, ok := row["negative_"+strconv.Itoa(k)]
		if !ok {
			break
		}
		var n string
		if err := json.Unmarshal(raw, &n); err != nil {
			return fmt.Errorf("bad \"negative_%d\"", k)
		}
		negs = append(negs, n)
	}
	if len(scores) != len(negs)+1 {
		return fmt.Errorf("%d scores for a positive and %d negatives", len(scores), len(negs))
	}
	return t.addGroup(st, anchor, []string{positive}, negs, scores[1:])
}

func (t *tally) addLabeledList(b []byte, st *stats) error {
	var row struct {
		Anchor *string   `json:"anchor"`
		Texts  []string  `json:"texts"`
		Scores []float64 `json:"scores"`
	}
	if err := json.Unmarshal(b, &row); err != nil {
		return err
	}
	if row.Anchor == nil || len(row.Texts) < 2 || len(row.Scores) != len(row.Texts) {
		return errors.New("want \"anchor\", and \"texts\" and \"scores\" of one positive and its negatives")
	}
	return t.addGroup(st, *row.Anchor, row.Texts[:1], row.Texts[1:], row.Scores[1:])
}

func (t *tally) addFlagEmbedding(b []byte, st *stats) error {
	var row struct {
		Query     *string   `json:"query"`
		Pos       []string  `json:"pos"`
		Neg       []string  `json:"neg"`
		NegScores []float64 `json:"neg_scores"`
	}
	if err := json.Unmarshal(b, &row); err != nil {
		return err
	}
	if row.Query == nil || len(row.Pos) == 0 {
		return errors.New("want \"query\" and \"pos\"")
	}
	return t.addGroup(st, *row.Query, row.Pos, row.Neg, row.NegScores)
}
