package mine

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"slices"

	"github.com/hardneg/hardneg/guard"
	"github.com/hardneg/hardneg/sample"
	"github.com/hardneg/hardneg/source"
	"github.com/hardneg/hardneg/split"
)

// Sentinel errors, tested with errors.Is; the CLI maps them to exit codes.
var (
	// ErrConfig reports settings that cannot work together.
	ErrConfig = errors.New("invalid settings")
	// ErrInput reports an input file that cannot be used as it is.
	ErrInput = errors.New("invalid input")
	// ErrOutputExists reports outputs that would be overwritten without Force.
	ErrOutputExists = errors.New("output exists")
	// ErrMemory reports a run that would need more memory than it may use.
	ErrMemory = errors.New("not enough memory")
)

// Output names, as the notebook writes them.
const (
	DatasetDir = "triplet_dataset"
	TrainJSONL = "train_triplets.jsonl"
	ValJSONL   = "val_triplets.jsonl"
	StatsFile  = "data_preparation_stats.json"
)

// ParquetDir holds the Parquet copy of the splits in the Hub's layout,
// data/{split}-00000-of-00001.parquet, when Config.Parquet is set.
const ParquetDir = "data"

// Outputs lists the entries a run writes into the output folder; with
// Config.Parquet, ParquetDir as well.
var Outputs = []string{DatasetDir, TrainJSONL, ValJSONL, StatsFile}

func (c *Config) outputs() []string {
	if c.Parquet {
		return append(slices.Clone(Outputs), ParquetDir)
	}
	return Outputs
}

// Band is a named similarity band [Lo, Hi) and the share of negatives it
// should supply. Its name is the difficulty label in the output.
type Band struct {
	Name   string
	Lo, Hi float64
	Ratio  float64
}

// Values of Config.Format.
const (
	FormatTriplet       = "triplet"
	FormatNTuple        = "ntuple"
	FormatFlagEmbedding = "flagembedding"
)

// Values of Config.Store.
const (
	StoreF32 = "f32"
	StoreF16 = "f16"
)

// DefaultBands are the notebook's bands.
func DefaultBands() []Band {
	return []Band{
		{Name: "easy", Lo: 0.3, Hi: 0.5, Ratio: 0.33},
		{Name: "medium", Lo: 0.5, Hi: 0.7, Ratio: 0.33},
		{Name: "hard", Lo: 0.7, Hi: 0.9, Ratio: 0.34},
	}
}

// Config is everything a run needs. DefaultConfig fills in the notebook's
// values.
type Config struct {
	PairsPath      string
	EmbeddingsPath string
	TermsPath      string
	OutDir         string

	Bands              []Band
	NegativesPerAnchor int
	TrainRatio         float64
	ValRatio           float64
	Seed               uint64
	Quota              sample.Mode
	// SplitBy is how triplets are divided: by row (the notebook, which lets
	// an anchor land on both sides), by anchor, or by synonym-graph
	// component (no synonym group on both sides).
	SplitBy split.Mode

	// Store is how the normalised embeddings are kept for the scan:
	// StoreF32, or StoreF16 to halve the memory at the cost of rounding
	// every normalised value to half precision (similarities then move by
	// about 1e-3, and a few candidates near a band edge change band).
	Store string

	// Threads is the number of workers; 0 means all cores. It never
	// changes the output.
	Threads int
	// Format is the shape of the JSONL and table rows: FormatTriplet (the
	// notebook's), FormatNTuple (anchor, positive, negative_1..negative_k,
	// as sentence-transformers trains on) or FormatFlagEmbedding
	// ({"query", "pos", "neg"} JSONL; the tables stay triplets). The grouped
	// formats need whole anchors on one side of the split.
	Format string
	// WithScores adds the positive's similarity (and, for n-tuples, every
	// negative's) to the rows, as margin losses need.
	WithScores bool

	// Exclude is the synonym-graph guard: ExcludePositives (the notebook:
	// the anchor and its positives), "hops:K" (every term within K links of
	// the anchor in the pair graph) or ExcludeComponent (its whole
	// connected component, which on a graph with a giant component also
	// removes legitimate hard negatives).
	Exclude string
	// MaxNegRatio > 0 drops a candidate more similar than MaxNegRatio times
	// the anchor's lowest positive similarity (NV-Retriever's TopK-PercPos);
	// MaxNegMargin > 0 drops one more similar than that lowest positive
	// similarity minus the margin. With both, the lower ceiling applies.
	MaxNegRatio, MaxNegMargin float64
	// Lexical turns on the lexical-variant guards: a candidate equal to the
	// anchor or a positive after normalisation, containing or contained in
	// one, or within a small edit distance of one, is never a negative.
	Lexical guard.Rules
	// DumpExcluded, when set, is a file that receives one JSON line per
	// candidate a guard excluded beyond the anchor and its positives.
	DumpExcluded string
	// MaxNegativeReuse > 0 caps how many anchors may use one term as a
	// negative; anchors are served in order, and a negative over the cap
	// is replaced by the next sampled candidate of its band.
	MaxNegativeReuse int

	// Parquet adds the splits in the Hub's Parquet layout (ParquetDir), for
	// push_to_hub users and tools that read Parquet.
	Parquet bool

	// Force lets the run replace outputs that already exist.
	Force bool
	// MaxMemory caps the memory the run may plan to use, in bytes; 0 means
	// the memory the system reports available. A run whose estimate
	// exceeds it is refused before the embeddings are loaded.
	MaxMemory int64
}

// DefaultConfig is the notebook's configuration for the data in dataDir,
// writing into dataDir as the notebook does.
func DefaultConfig(dataDir string) Config {
	return Config{
		PairsPath:          filepath.Join(dataDir, source.PairsFile),
		EmbeddingsPath:     filepath.Join(dataDir, source.EmbeddingsFile),
		TermsPath:          filepath.Join(dataDir, source.TermsFile),
		OutDir:             dataDir,
		Bands:              DefaultBands(),
		NegativesPerAnchor: 5,
		TrainRatio:         0.9,
		ValRatio:           0.1,
		Seed:               42,
		Quota:              sample.Balanced,
		Store:              StoreF32,
		Format:             FormatTriplet,
		Exclude:            ExcludePositives,
	}
}

var bandName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// Validate reports the first setting that cannot work, wrapped in ErrConfig.
func (c *Config) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, args...))
	}
	for _, p := range []struct{ name, path string }{{"pairs", c.PairsPath}, {"embeddings", c.EmbeddingsPath}, {"terms", c.TermsPath}, {"output", c.OutDir}} {
		if p.path == "" {
			return bad("no %s path", p.name)
		}
	}
	if len(c.Bands) == 0 {
		return bad("no bands")
	}
	sum := 0.0
	seen := map[string]bool{}
	for i, b := range c.Bands {
		switch {
		case !bandName.MatchString(b.Name):
			return bad("band %d: name %q must be letters, digits, '_' or '-'", i, b.Name)
		case seen[b.Name]:
			return bad("band name %q is used twice", b.Name)
		case math.IsNaN(b.Lo) || math.IsNaN(b.Hi) || !(b.Lo < b.Hi):
			return bad("band %s: range [%v, %v) is empty", b.Name, b.Lo, b.Hi)
		case b.Lo < -1 || b.Hi > 1.000001:
			return bad("band %s: range [%v, %v) is outside the cosine range [-1, 1]", b.Name, b.Lo, b.Hi)
		case i > 0 && b.Lo < c.Bands[i-1].Hi:
			return bad("band %s [%v, %v) overlaps or precedes band %s [%v, %v); list bands in increasing order",
				b.Name, b.Lo, b.Hi, c.Bands[i-1].Name, c.Bands[i-1].Lo, c.Bands[i-1].Hi)
		case !(b.Ratio >= 0 && b.Ratio <= 1):
			return bad("band %s: ratio %v is not in [0, 1]", b.Name, b.Ratio)
		}
		seen[b.Name] = true
		sum += b.Ratio
	}
	if math.Abs(sum-1) > 1e-6 {
		return bad("band ratios sum to %v, not 1", sum)
	}
	if c.NegativesPerAnchor < 1 {
		return bad("negatives per anchor is %d; it must be at least 1", c.NegativesPerAnchor)
	}
	if !(c.TrainRatio >= 0 && c.TrainRatio <= 1) || !(c.ValRatio >= 0 && c.ValRatio <= 1) {
		return bad("train ratio %v and validation ratio %v must be in [0, 1]", c.TrainRatio, c.ValRatio)
	}
	if math.Abs(c.TrainRatio+c.ValRatio-1) > 1e-9 {
		return bad("train ratio %v and validation ratio %v must sum to 1", c.TrainRatio, c.ValRatio)
	}
	switch c.Format {
	case FormatTriplet:
	case FormatNTuple, FormatFlagEmbedding:
		if c.SplitBy == split.ModeRow {
			return bad("format %s groups rows by anchor: split by anchor or component, not by row", c.Format)
		}
	default:
		return bad("format %q: want %s, %s or %s", c.Format, FormatTriplet, FormatNTuple, FormatFlagEmbedding)
	}
	if _, err := parseExclude(c.Exclude); err != nil {
		return bad("%v", err)
	}
	if !(c.MaxNegRatio >= 0) || !(c.MaxNegMargin >= 0) || c.MaxNegRatio > 10 || c.MaxNegMargin > 2 {
		return bad("max-neg-ratio %v and max-neg-margin %v must be small non-negative numbers", c.MaxNegRatio, c.MaxNegMargin)
	}
	if c.Lexical.Contains < 0 || c.Lexical.EditDistance < 0 || c.Lexical.EditDistance > guard.MaxEditDistance || c.Lexical.EditMinRunes < 0 {
		return bad("lexical guards: contains %d, edit distance %d (at most %d), edit min runes %d must not be negative",
			c.Lexical.Contains, c.Lexical.EditDistance, guard.MaxEditDistance, c.Lexical.EditMinRunes)
	}
	if c.MaxNegativeReuse < 0 {
		return bad("max-negative-reuse %d must not be negative", c.MaxNegativeReuse)
	}
	if c.Store != StoreF32 && c.Store != StoreF16 {
		return bad("store %q: want %q or %q", c.Store, StoreF32, StoreF16)
	}
	if c.MaxMemory < 0 {
		return bad("max memory is %d bytes", c.MaxMemory)
	}
	if c.Threads < 0 {
		return bad("threads is %d", c.Threads)
	}
	return nil
}

// keep is how many candidates the scan samples per band: the negatives per
// anchor, and more when a reuse cap may have to replace some.
func (c *Config) keep() int {
	if c.MaxNegativeReuse > 0 {
		return 3 * c.NegativesPerAnchor
	}
	return c.NegativesPerAnchor
}

func (c *Config) ceiling() bool { return c.MaxNegRatio > 0 || c.MaxNegMargin > 0 }

func (c *Config) lexical() bool {
	return c.Lexical.Normalized || c.Lexical.Contains > 0 || c.Lexical.EditDistance > 0
}

func (c *Config) lexicalRuleOn(r guard.Rule) bool {
	switch r {
	case guard.RuleNormalized:
		return c.Lexical.Normalized
	case guard.RuleContains:
		return c.Lexical.Contains > 0
	case guard.RuleEditDistance:
		return c.Lexical.EditDistance > 0
	}
	return false
}
