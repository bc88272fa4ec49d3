package format

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hardneg/hardneg/hfds"
)

// Name is a format's name as the settings and the stats file spell it.
type Name string

// The formats.
const (
	Triplet       Name = "triplet"
	NTuple        Name = "ntuple"
	LabeledPair   Name = "labeled-pair"
	LabeledList   Name = "labeled-list"
	FlagEmbedding Name = "flagembedding"
)

// ErrFormat reports a format name that is not one of the formats.
var ErrFormat = errors.New("unknown format")

// Parse reads a format name in any of the spellings users bring:
// sentence-transformers' ("n-tuple", "labeled-pair"), with underscores, or
// run together.
func Parse(s string) (Name, error) {
	key := strings.NewReplacer("-", "", "_", "").Replace(strings.ToLower(strings.TrimSpace(s)))
	switch key {
	case "triplet", "triplets":
		return Triplet, nil
	case "ntuple", "ntuples":
		return NTuple, nil
	case "labeledpair", "labeledpairs":
		return LabeledPair, nil
	case "labeledlist", "labeledlists":
		return LabeledList, nil
	case "flagembedding":
		return FlagEmbedding, nil
	}
	return "", fmt.Errorf("%w %q: want triplet, n-tuple, labeled-pair, labeled-list or flagembedding", ErrFormat, s)
}

// MarshalText writes the name.
func (n Name) MarshalText() ([]byte, error) { return []byte(n), nil }

// UnmarshalText reads a name with Parse.
func (n *Name) UnmarshalText(b []byte) error {
	v, err := Parse(string(b))
	if err != nil {
		return err
	}
	*n = v
	return nil
}

// Spec is what a format writes.
type Spec struct {
	Name Name
	// Unit names one row in summaries: "triplets", "n-tuples", ...
	Unit string
	// Dataset is the folder of the HuggingFace DatasetDict; TrainJSONL and
	// ValJSONL are the JSONL files of the two splits.
	Dataset, TrainJSONL, ValJSONL string
	// Grouped reports that a row gathers several of an anchor's negatives,
	// so a split must keep each anchor's rows on one side.
	Grouped bool
	// table builds one split's table.
	table func(v View, o Options) (hfds.Table, int)
}

var specs = map[Name]*Spec{
	Triplet:       &tripletSpec,
	NTuple:        &ntupleSpec,
	LabeledPair:   &labeledPairSpec,
	LabeledList:   &labeledListSpec,
	FlagEmbedding: &flagEmbeddingSpec,
}

// Lookup returns the spec of a format, or nil.
func Lookup(n Name) *Spec { return specs[n] }

// Row is one chosen (anchor, positive, negative), held as rows of the
// queries and the corpus so that a data set of millions of rows costs a few
// bytes a row until it is written.
type Row struct {
	Anchor             int32   // query row
	Positive, Negative int32   // corpus rows
	Sim                float32 // the negative's similarity to the anchor
	Band               int16   // index into View.Bands
}

// Items spells out the rows of one side: the text a row shows and the id
// WithIDs adds. source.Side is one.
type Items interface {
	ID(row int32) string
	Text(row int32) string
}

// View is one split's rows in output order, with what spells them out.
type View struct {
	Rows  []Row
	Order []int // indices into Rows, in output order
	// Queries and Corpus spell out the anchors and the documents.
	Queries, Corpus Items
	// Bands are the band names, the difficulty labels.
	Bands []string
	// PositiveSim gives the similarity of a positive to its anchor,
	// computed as the scan computes a negative's; nil without scores.
	PositiveSim func(anchor, positive int32) float32
}

// Len is the number of rows in the view.
func (v View) Len() int { return len(v.Order) }

// Options are the settings that shape a table.
type Options struct {
	// K is the number of negatives per anchor (the n-tuple's width).
	K int
	// WithScores adds similarities as sentence-transformers' output_scores
	// does; WithIDs adds the query and document ids.
	WithScores, WithIDs bool
}

// Table builds one split's table. dropped counts the groups a format left
// out (n-tuples short of K negatives, labeled lists without a negative).
func (s *Spec) Table(v View, o Options) (t hfds.Table, dropped int) {
	return s.table(v, o)
}

// score is a similarity as every score column writes it: the float64 of
// the float32 the scan computed.
func score(s float32) float64 { return float64(s) }
