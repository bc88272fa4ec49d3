package mine

import (
	"bytes"
	"encoding/json"
	"slices"

	"github.com/hardneg/hardneg/source"
	"github.com/hardneg/hardneg/split"
)

// Stats is the content of data_preparation_stats.json. Its first three
// sections are the notebook's, key for key; the rest is what the notebook
// did not report.
type Stats struct {
	Config                 StatsConfig      `json:"config"`
	Dataset                DatasetStats     `json:"dataset"`
	DifficultyDistribution Object           `json:"difficulty_distribution"`
	Mix                    MixStats         `json:"mix"`
	Split                  SplitStats       `json:"split"`
	Format                 FormatStats      `json:"format"`
	Guards                 GuardStats       `json:"guards"`
	Pools                  Object           `json:"pools"`
	Pairs                  source.PairStats `json:"pairs"`
	Inputs                 InputStats       `json:"inputs"`
	Tool                   string           `json:"tool"`
	// Timings is the wall time of each stage, in seconds. It is the one
	// part of the outputs that differs between two runs of the same inputs
	// and settings.
	Timings Object `json:"timings_seconds"`
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
	Format             string `json:"format"`
	WithScores         bool   `json:"with_scores"`
	Rows               []int  `json:"table_rows"`
	DroppedShortTuples int    `json:"dropped_short_tuples,omitempty"`
}

// PoolStats summarises the candidates per anchor in one band.
type PoolStats struct {
	Min          int64 `json:"min"`
	Median       int64 `json:"median"`
	Max          int64 `json:"max"`
	EmptyAnchors int   `json:"empty_anchors"`
}

// InputStats records what was read.
type InputStats struct {
	Pairs      FileStats `json:"pairs"`
	Terms      FileStats `json:"terms"`
	Embeddings FileStats `json:"embeddings"`
	Shape      []int     `json:"shape"`
	DType      string    `json:"dtype"`
}

// FileStats identifies an input file.
type FileStats struct {
	Path   string `json:"path"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

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
