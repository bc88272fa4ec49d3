package mine

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"

	"github.com/hardneg/hardneg/format"
	"github.com/hardneg/hardneg/scan"
	"github.com/hardneg/hardneg/source"
	"github.com/hardneg/hardneg/split"
)

// Stats is the content of data_preparation_stats.json. Its first three
// sections are the notebook's, key for key; the rest is what the notebook
// did not report.
type Stats struct {
	Config                 StatsConfig       `json:"config"`
	Dataset                DatasetStats      `json:"dataset"`
	DifficultyDistribution Object            `json:"difficulty_distribution"`
	Mix                    MixStats          `json:"mix"`
	Split                  SplitStats        `json:"split"`
	Format                 FormatStats       `json:"format"`
	Guards                 GuardStats        `json:"guards"`
	Pools                  Object            `json:"pools"`
	Pairs                  *source.PairStats `json:"pairs,omitempty"`
	Qrels                  *source.QrelStats `json:"qrels,omitempty"`
	Inputs                 InputStats        `json:"inputs"`
	Tool                   string            `json:"tool"`
	// Timings is the wall time of each stage, in seconds. It and Screen
	// are the parts of the outputs that differ between two runs of the
	// same inputs and settings.
	Timings Object `json:"timings_seconds"`
	// Screen says how much of the scan the int16 screen decided, when the
	// scan ran in this process (not in a merge). It depends on --exact,
	// the build, --threads (which anchors share a tile's bound), the
	// streaming and the sharding, never on the results.
	Screen *ScreenStats `json:"screen,omitempty"`
}

// ScreenStats is the stats file's record of the scan's screen.
type ScreenStats struct {
	On bool `json:"on"`
	// Pairs is the anchor-candidate pairs screened, and Rechecked those
	// also computed in float32: near a threshold, or kept in a sample.
	Pairs            int64   `json:"pairs"`
	Rechecked        int64   `json:"rechecked"`
	RecheckedPercent float64 `json:"rechecked_percent"`
}

// StatsConfig is the notebook's config section (with <band>_range and
// <band>_ratio for every band) plus the settings it did not have.
type StatsConfig struct {
	Bands Object // <band>_range, <band>_ratio, in band order
	Rest  Object
}

// MarshalJSON flattens the band keys and the rest into one Object, as the
// notebook's file has them.
func (c StatsConfig) MarshalJSON() ([]byte, error) {
	return json.Marshal(append(slices.Clone(c.Bands), c.Rest...))
}

// DatasetStats is the notebook's dataset section.
type DatasetStats struct {
	TotalTriplets  int `json:"total_triplets"`
	TrainTriplets  int `json:"train_triplets"`
	ValTriplets    int `json:"val_triplets"`
	UniqueAnchors  int `json:"unique_anchors"`
	SkippedAnchors int `json:"skipped_anchors"`
}

// MixStats compares the share of triplets per band with its target, in
// percent.
type MixStats struct {
	Quota    string `json:"quota"`
	Target   Object `json:"target_percent"`
	Achieved Object `json:"achieved_percent"`
	// PerAnchor is the spread behind the mix: per band, how many anchors
	// got how many of their negatives from it ({"0": anchors, "1": ...}).
	// An achieved mix on target can hide anchors that got all their
	// negatives from one band and anchors that got none.
	PerAnchor Object `json:"per_anchor"`
}

// SplitStats says how rows were divided and what the two splits share:
// anchors, terms (anchors, positives and negatives) and synonym-graph
// components whose anchors are on both sides.
type SplitStats struct {
	By                 string            `json:"by"`
	Overlap            split.Overlap     `json:"overlap"`
	LargestComponent   int               `json:"largest_component"`
	ComponentSizeCount []split.SizeCount `json:"component_sizes"`
}

// FormatStats says what the JSONL and table rows are: triplets,
// n-tuples (one per anchor and positive, short ones dropped) or FlagEmbedding
// lines, and how many rows each split (train, validation) got in the
// HuggingFace outputs.
type FormatStats struct {
	Format     format.Name `json:"format"`
	WithScores bool        `json:"with_scores"`
	WithIDs    bool        `json:"with_ids,omitempty"`
	Rows       []int       `json:"table_rows"`
	// DroppedShortTuples counts the groups a format left out: n-tuples
	// short of their negatives, labeled lists without a negative.
	DroppedShortTuples int `json:"dropped_short_tuples,omitempty"`
}

// PoolStats summarises the candidates per anchor in one band.
type PoolStats struct {
	Min          int64 `json:"min"`
	Median       int64 `json:"median"`
	Max          int64 `json:"max"`
	EmptyAnchors int   `json:"empty_anchors"`
}

// InputStats records what was read: the synonym job's three files, or the
// BEIR layout's five. Shape and DType are the corpus matrix's (the term
// matrix's in the synonym job).
type InputStats struct {
	Pairs            *FileStats `json:"pairs,omitempty"`
	Terms            *FileStats `json:"terms,omitempty"`
	Embeddings       *FileStats `json:"embeddings,omitempty"`
	Corpus           *FileStats `json:"corpus,omitempty"`
	CorpusEmbeddings *FileStats `json:"corpus_embeddings,omitempty"`
	Queries          *FileStats `json:"queries,omitempty"`
	QueryEmbeddings  *FileStats `json:"query_embeddings,omitempty"`
	Qrels            *FileStats `json:"qrels,omitempty"`
	Shape            []int      `json:"shape"`
	DType            string     `json:"dtype"`
	QueryShape       []int      `json:"query_shape,omitempty"`
	QueryDType       string     `json:"query_dtype,omitempty"`
}

// FileStats identifies an input file as it was read: its path, size and
// SHA-256.
type FileStats = source.Digest

// Object is a JSON Object whose keys keep their order.
type Object []Field

type Field struct {
	Key   string
	Value any
}

func (o Object) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, err := json.Marshal(f.Key)
		if err != nil {
			return nil, err
		}
		buf.Write(k)
		buf.WriteByte(':')
		v, err := json.Marshal(f.Value)
		if err != nil {
			return nil, err
		}
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// Get returns the value of key, or nil.
func (o Object) Get(key string) any {
	for _, f := range o {
		if f.Key == key {
			return f.Value
		}
	}
	return nil
}

// buildStats gathers the stats file's content, all but the format and the
// timings, which the writers add.
func buildStats(s Settings, sc *scanned, c chosen, train, val []int, rowAnchor, rowPos, rowNeg []int32) (Stats, error) {
	inputs, err := sc.inputs()
	if err != nil {
		return Stats{}, err
	}
	sizes, largest := split.ComponentSizes(sc.comp)
	stats := Stats{
		Config: statsConfig(s),
		Dataset: DatasetStats{
			TotalTriplets: len(c.rows), TrainTriplets: len(train), ValTriplets: len(val),
			UniqueAnchors: len(sc.problem.Anchors), SkippedAnchors: c.skipped,
		},
		Mix: MixStats{Quota: s.Quota.String()},
		Split: SplitStats{
			By:                 s.SplitBy.String(),
			Overlap:            split.MeasureOverlap(train, val, rowAnchor, rowPos, rowNeg, sc.comp),
			LargestComponent:   largest,
			ComponentSizeCount: sizes,
		},
		Guards: guardStats(s, sc, c),
		Pairs:  sc.pairs,
		Qrels:  sc.qrels,
		Inputs: inputs,
		Tool:   Version(),
	}
	for b, band := range s.bands() {
		stats.DifficultyDistribution = append(stats.DifficultyDistribution, Field{band.Name, c.perBand[b]})
		stats.Mix.Target = append(stats.Mix.Target, Field{band.Name, round2(100 * band.Ratio)})
		share := 0.0
		if len(c.rows) > 0 {
			share = 100 * float64(c.perBand[b]) / float64(len(c.rows))
		}
		stats.Mix.Achieved = append(stats.Mix.Achieved, Field{band.Name, round2(share)})
		stats.Pools = append(stats.Pools, Field{band.Name, poolStats(c.pools, b)})
		stats.Mix.PerAnchor = append(stats.Mix.PerAnchor, Field{band.Name, spreadObject(c.spread[b])})
	}
	return stats, nil
}

// statsConfig is the notebook's config section, band by band, then the
// settings the notebook did not have; those beyond its scope appear only
// when they are not the defaults, so a notebook-style run's section reads as
// the notebook's.
func statsConfig(s Settings) StatsConfig {
	var c StatsConfig
	bands := s.bands()
	for _, b := range bands {
		c.Bands = append(c.Bands, Field{b.Name + "_range", []float64{b.Lo, b.Hi}})
	}
	for _, b := range bands {
		c.Bands = append(c.Bands, Field{b.Name + "_ratio", b.Ratio})
	}
	c.Rest = Object{
		{"negatives_per_anchor", s.NegativesPerAnchor},
		{"train_ratio", s.TrainRatio},
		{"val_ratio", s.ValRatio},
		{"seed", s.Seed},
		{"quota", s.Quota.String()},
		{"store", s.Store},
		{"split_by", s.SplitBy.String()},
	}
	if s.NoBands {
		c.Rest = append(c.Rest, Field{"no_bands", true})
	}
	if s.Sampling != 0 {
		c.Rest = append(c.Rest, Field{"sampling", s.Sampling.String()})
		if s.Sampling.String() == "simans" {
			c.Rest = append(c.Rest, Field{"simans_a", s.SimANSA}, Field{"simans_b", s.SimANSB})
		}
	}
	if s.RangeMin > 0 || s.RangeMax > 0 {
		c.Rest = append(c.Rest, Field{"range_min", s.RangeMin}, Field{"range_max", s.RangeMax})
	}
	for _, l := range []struct {
		name string
		v    *float64
	}{
		{"min_score", s.Limits.MinScore}, {"max_score", s.Limits.MaxScore},
		{"relative_margin", s.Limits.RelativeMargin}, {"absolute_margin", s.Limits.AbsoluteMargin},
	} {
		if l.v != nil {
			c.Rest = append(c.Rest, Field{l.name, *l.v})
		}
	}
	if s.NearDuplicates > 0 {
		c.Rest = append(c.Rest, Field{"exclude_near_duplicates", s.NearDuplicates})
	}
	if s.MaxPerBand > 0 {
		c.Rest = append(c.Rest, Field{"max_per_band", s.MaxPerBand})
	}
	return c
}

// screenStats is the stats file's record of what the screen did.
func screenStats(st *scan.ScreenStats) *ScreenStats {
	if st == nil {
		return nil
	}
	out := &ScreenStats{On: st.On, Pairs: st.Pairs, Rechecked: st.Rechecked}
	if st.Pairs > 0 {
		out.RecheckedPercent = float64(int64(100*float64(st.Rechecked)/float64(st.Pairs)*1e4+0.5)) / 1e4
	}
	return out
}

// spreadObject lists anchors by count, in increasing count, keyed by the
// count as JSON keys must be.
func spreadObject(m map[int]int) Object {
	ks := make([]int, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	o := Object{}
	for _, k := range ks {
		o = append(o, Field{strconv.Itoa(k), m[k]})
	}
	return o
}

func round2(x float64) float64 {
	return float64(int64(x*100+0.5)) / 100
}

func round3(x float64) float64 {
	return float64(int64(x*1000+0.5)) / 1000
}
