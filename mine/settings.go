package mine

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hardneg/hardneg/choose"
	"github.com/hardneg/hardneg/format"
	"github.com/hardneg/hardneg/guard"
	"github.com/hardneg/hardneg/hfds"
	"github.com/hardneg/hardneg/output"
	"github.com/hardneg/hardneg/scan"
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
	ErrOutputExists = output.ErrExists
	// ErrMemory reports a run that would need more memory than it may use.
	ErrMemory = errors.New("not enough memory")
	// ErrEmpty reports a run that produced no rows, unless AllowEmpty.
	ErrEmpty = errors.New("empty result")
)

// StatsFile is the stats file every run writes, named as the notebook
// names it.
const StatsFile = "data_preparation_stats.json"

// ParquetDir holds the Parquet copy of the splits in the Hub's layout,
// data/{split}-00000-of-00001.parquet, when Settings.Parquet is set.
const ParquetDir = "data"

// Store is how the normalised embeddings are kept for the scan.
type Store string

// Values of Store.
const (
	// StoreF32 keeps float32 rows.
	StoreF32 Store = "f32"
	// StoreF16 halves the memory at the cost of rounding every normalised
	// value to half precision (similarities then move by about 1e-3, and a
	// few candidates near a band edge change band).
	StoreF16 Store = "f16"
)

// Inputs names the input files: the synonym job's three, or the BEIR
// layout's five.
type Inputs struct {
	// The synonym job: a term list, synonym pairs and the term embeddings.
	Pairs, Terms, Embeddings string
	// Queries against a corpus, in the BEIR layout.
	Corpus, CorpusEmbeddings, Queries, QueryEmbeddings, Qrels string
}

// General reports whether the inputs are a corpus and queries rather than
// a term list.
func (in Inputs) General() bool {
	return in.Corpus != "" || in.CorpusEmbeddings != "" || in.Queries != "" || in.QueryEmbeddings != "" || in.Qrels != ""
}

// SynonymInputs are the three files of the synonym job in dataDir.
func SynonymInputs(dataDir string) Inputs {
	return Inputs{
		Pairs:      filepath.Join(dataDir, source.PairsFile),
		Embeddings: filepath.Join(dataDir, source.EmbeddingsFile),
		Terms:      filepath.Join(dataDir, source.TermsFile),
	}
}

// BEIR file names in a --beir-dir folder.
const (
	BEIRCorpus           = "corpus.jsonl"
	BEIRQueries          = "queries.jsonl"
	BEIRQrels            = "qrels/train.tsv"
	BEIRCorpusEmbeddings = "corpus_embeddings.npy"
	BEIRQueryEmbeddings  = "query_embeddings.npy"
)

// BEIRInputs are the five files of queries against a corpus in dir, in
// the BEIR layout (the train qrels).
func BEIRInputs(dir string) Inputs {
	return Inputs{
		Corpus: filepath.Join(dir, BEIRCorpus), Queries: filepath.Join(dir, BEIRQueries), Qrels: filepath.Join(dir, BEIRQrels),
		CorpusEmbeddings: filepath.Join(dir, BEIRCorpusEmbeddings), QueryEmbeddings: filepath.Join(dir, BEIRQueryEmbeddings),
	}
}

// Settings is everything a run needs. It is the one description of a run:
// the CLI's flags and config files fill it, shard files carry it (its JSON
// form holds exactly the settings that change a run's result), and the
// stats file records it. DefaultSettings fills in the notebook's values.
type Settings struct {
	// Inputs and OutDir say where; they do not change the result.
	Inputs Inputs `json:"-"`
	OutDir string `json:"-"`

	// Bands are the similarity bands negatives come from, in the bands'
	// ratios. With NoBands, every candidate is eligible and Bands is
	// ignored; the difficulty label is then "all".
	Bands   []choose.Band `json:"bands"`
	NoBands bool          `json:"no_bands,omitempty"`
	// NegativesPerAnchor is how many negatives each anchor gets; each
	// makes one row per positive in the triplet format.
	NegativesPerAnchor int `json:"negatives_per_anchor"`
	// Sampling orders each band's candidates: random, top (most similar
	// first) or simans, whose weights are exp(−a·(s − s⁺ − b)²) with s⁺ the
	// anchor's lowest positive similarity.
	Sampling scan.Sampling `json:"sampling"`
	SimANSA  float64       `json:"simans_a"`
	SimANSB  float64       `json:"simans_b"`
	// RangeMin and RangeMax keep only candidates ranked RangeMin ..
	// RangeMax-1 by similarity (rank 0 the most similar left after the
	// exclusions and score limits); RangeMax 0 means no upper end.
	RangeMin int `json:"range_min"`
	RangeMax int `json:"range_max"`
	// Limits are the score limits and positive-aware margins.
	Limits guard.Limits `json:"limits"`
	// NearDuplicates > 0 drops candidates whose similarity to one of the
	// anchor's positives is at least this.
	NearDuplicates float64 `json:"exclude_near_duplicates"`

	Quota choose.QuotaMode `json:"quota"`
	// MaxPerBand > 0 caps how many of an anchor's negatives one band may
	// supply (balanced quota), so that the overall mix is not met by
	// loading a band onto a few anchors.
	MaxPerBand int     `json:"max_per_band,omitempty"`
	TrainRatio float64 `json:"train_ratio"`
	ValRatio   float64 `json:"val_ratio"`
	Seed       uint64  `json:"seed"`
	// SplitBy is how rows are divided: by row (the notebook, which lets an
	// anchor land on both sides), by anchor, or by component of the
	// positives graph (no synonym group, or no shared document, on both
	// sides).
	SplitBy split.Mode `json:"split_by"`

	// Format is the shape of the rows; WithScores adds similarities as
	// sentence-transformers' output_scores does, WithIDs the query and
	// document ids.
	Format     format.Name `json:"format"`
	WithScores bool        `json:"with_scores"`
	WithIDs    bool        `json:"with_ids"`

	// Exclude is the positives-graph guard.
	Exclude guard.GraphRule `json:"exclude"`
	// Lexical turns on the lexical-variant guards (term lists only).
	Lexical guard.Rules `json:"lexical"`
	// MaxNegativeReuse > 0 caps how many anchors may use one item as a
	// negative; anchors are served in order, and a negative over the cap is
	// replaced by the next candidate of its band.
	MaxNegativeReuse int `json:"max_negative_reuse"`

	// Store is how the normalised embeddings are kept for the scan.
	Store Store `json:"store"`
	// Parquet adds the splits in the Hub's Parquet layout (ParquetDir).
	Parquet bool `json:"parquet"`

	// Threads is the number of workers; 0 means all cores. It never
	// changes the output.
	Threads int `json:"-"`
	// Force lets the run replace outputs that already exist.
	Force bool `json:"-"`
	// MaxMemory caps the memory the run may plan to use, in bytes; 0 means
	// the memory the system reports available. While a run holds its
	// inputs it sets the Go runtime's soft memory limit
	// (runtime/debug.SetMemoryLimit) to MaxMemory, or to its planned peak
	// and a tenth, and restores the previous limit when it returns; runs in
	// one process at once share that limit.
	MaxMemory int64 `json:"-"`
	// DumpExcluded, when set, is a file that receives one JSON line per
	// candidate a guard excluded beyond the anchor and its positives.
	DumpExcluded string `json:"-"`
	// AllowEmpty lets a run that produced no rows write its (empty)
	// outputs; otherwise it fails with ErrEmpty before writing anything,
	// so that it never replaces good earlier outputs.
	AllowEmpty bool `json:"-"`
	// ChunkRows > 0 streams the corpus this many rows at a time whatever
	// the memory allows; 0 lets the memory plan decide. It never changes
	// the output.
	ChunkRows int `json:"-"`
	// Exact turns the scan's screen off: every similarity is computed in
	// float32, none decided from its int16 approximation and bound. It
	// never changes the output, only the time the scan takes.
	Exact bool `json:"-"`
}

// Default SimANS parameters, from the paper's code (Zhou et al., EMNLP
// 2022): a = 0.5, b = 0. Its similarities were unnormalised dot products;
// on cosines a larger a is needed for the weights to matter.
const (
	DefaultSimANSA = 0.5
	DefaultSimANSB = 0.0
)

// DefaultSettings is the notebook's configuration for the synonym job in
// dataDir, writing into dataDir as the notebook does.
func DefaultSettings(dataDir string) Settings {
	return Settings{
		Inputs:             SynonymInputs(dataDir),
		OutDir:             dataDir,
		Bands:              choose.DefaultBands(),
		NegativesPerAnchor: 5,
		SimANSA:            DefaultSimANSA,
		SimANSB:            DefaultSimANSB,
		TrainRatio:         0.9,
		ValRatio:           0.1,
		Seed:               42,
		Quota:              choose.Balanced,
		Store:              StoreF32,
		Format:             format.Triplet,
		Exclude:            guard.PositivesOnly,
	}
}

// Spec is the output format's spec.
func (s *Settings) Spec() *format.Spec { return format.Lookup(s.Format) }

// bands returns the bands the run uses: the configured ones, or the one
// band of a run without bands.
func (s *Settings) bands() []choose.Band {
	if s.NoBands {
		return []choose.Band{choose.AllBand()}
	}
	return s.Bands
}

// window is the rank window.
// screens says whether the run's scan screens (scan.Screens): it then
// holds its own int16 copy of the corpus rows it scans, a part at a time.
func (s *Settings) screens() bool {
	return scan.Screens(scan.Options{Bands: choose.ScanBands(s.bands()), WindowOnly: s.RangeMax > 0, Exact: s.Exact})
}

func (s *Settings) window() choose.Window { return choose.Window{Min: s.RangeMin, Max: s.RangeMax} }

// keep is how many candidates the scan keeps per band: the negatives per
// anchor, three times that when a reuse cap may have to replace some, and
// RangeMin more when the most similar RangeMin are removed afterwards.
func (s *Settings) keep() int {
	k := s.NegativesPerAnchor
	if s.MaxNegativeReuse > 0 {
		k *= 3
	}
	if s.RangeMin > 0 && s.RangeMax == 0 {
		k += s.RangeMin
	}
	return k
}

// outputs lists the entries a run writes into the output folder.
func (s *Settings) outputs() []string {
	spec := s.Spec()
	out := []string{spec.Dataset, spec.TrainJSONL, spec.ValJSONL, StatsFile}
	if s.Parquet {
		out = append(out, ParquetDir)
	}
	return out
}

// splitNames are the splits every run writes.
var splitNames = []string{"train", "validation"}

// stagedOutputs lists what a run writes, as the staged commit takes them:
// the outputs of outputs, which folders they are and what those hold, and
// the list of excluded candidates when one is asked for.
func (s *Settings) stagedOutputs() []output.Output {
	spec := s.Spec()
	var out []output.Output
	for _, name := range s.outputs() {
		o := output.Output{Name: name}
		switch name {
		case spec.Dataset:
			o.Owns = func(rel string, dir bool) bool {
				split, _, _ := strings.Cut(rel, "/")
				return hfds.Saved(rel, dir) && (rel == "dataset_dict.json" || slices.Contains(splitNames, split))
			}
		case ParquetDir:
			o.Owns = func(rel string, dir bool) bool {
				split, _, _ := strings.Cut(rel, "-")
				return hfds.SavedParquet(rel, dir) && slices.Contains(splitNames, split)
			}
		}
		out = append(out, o)
	}
	if s.DumpExcluded != "" {
		out = append(out, output.Output{Name: s.dumpTarget()})
	}
	return out
}

// dumpTarget is the absolute path of the list of excluded candidates.
func (s *Settings) dumpTarget() string {
	abs, err := filepath.Abs(s.DumpExcluded)
	if err != nil {
		return s.DumpExcluded
	}
	return abs
}

// checkDump refuses a --dump-excluded path that is a folder, or that names
// an input or another output: the dump is an output like the others, and
// must not destroy what the run reads or writes.
func (s *Settings) checkDump() error {
	if s.DumpExcluded == "" {
		return nil
	}
	d := s.DumpExcluded
	if fi, err := os.Stat(d); err == nil && fi.IsDir() {
		return fmt.Errorf("%w: --dump-excluded %s is a folder; give a file name, such as %s", ErrConfig, d, filepath.Join(d, "excluded.jsonl"))
	}
	if fi, err := os.Stat(filepath.Dir(d)); err != nil || !fi.IsDir() {
		return fmt.Errorf("%w: --dump-excluded %s: its folder %s does not exist", ErrConfig, d, filepath.Dir(d))
	}
	for _, in := range inputFiles(s.Inputs) {
		if samePath(in, d) {
			return fmt.Errorf("%w: --dump-excluded %s is an input of the run (%s); give a new file name", ErrConfig, d, in)
		}
	}
	for _, name := range s.outputs() {
		o := filepath.Join(s.OutDir, name)
		if samePath(o, d) || output.Within(o, d) {
			return fmt.Errorf("%w: --dump-excluded %s is the run's output %s; give another file name", ErrConfig, d, o)
		}
	}
	return nil
}

// samePath reports whether a and b name one file: the same cleaned
// absolute path, or, when both exist, the same file through links.
func samePath(a, b string) bool {
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	if err1 == nil && err2 == nil && aa == bb {
		return true
	}
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

// Validate reports the first setting that cannot work, wrapped in ErrConfig.
func (s *Settings) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, args...))
	}
	in := s.Inputs
	if in.General() {
		for _, p := range []struct{ name, path string }{
			{"corpus", in.Corpus}, {"corpus embeddings", in.CorpusEmbeddings},
			{"queries", in.Queries}, {"query embeddings", in.QueryEmbeddings}, {"qrels", in.Qrels},
		} {
			if p.path == "" {
				return bad("no %s path: queries against a corpus need the corpus, the queries, the qrels and both embedding files", p.name)
			}
		}
		if in.Pairs != "" || in.Terms != "" || in.Embeddings != "" {
			return bad("give either the synonym job's files (pairs, terms, embeddings) or a corpus with queries and qrels, not both")
		}
	} else {
		for _, p := range []struct{ name, path string }{{"pairs", in.Pairs}, {"embeddings", in.Embeddings}, {"terms", in.Terms}} {
			if p.path == "" {
				return bad("no %s path", p.name)
			}
		}
	}
	if s.OutDir == "" {
		return bad("no output path")
	}
	if !s.NoBands {
		if err := choose.ValidateBands(s.Bands); err != nil {
			return bad("%v", err)
		}
	}
	if s.NegativesPerAnchor < 1 {
		return bad("negatives per anchor is %d; it must be at least 1", s.NegativesPerAnchor)
	}
	if s.NegativesPerAnchor > 1<<20 {
		return bad("negatives per anchor is %d; at most %d", s.NegativesPerAnchor, 1<<20)
	}
	if s.Sampling < scan.Random || s.Sampling > scan.SimANS {
		return bad("sampling %v", s.Sampling)
	}
	if !(s.SimANSA >= 0) || math.IsInf(s.SimANSA, 0) || math.IsNaN(s.SimANSB) || math.IsInf(s.SimANSB, 0) {
		return bad("simans a %v and b %v must be finite, a at least 0", s.SimANSA, s.SimANSB)
	}
	switch {
	case s.RangeMin < 0 || s.RangeMax < 0:
		return bad("range-min %d and range-max %d must not be negative", s.RangeMin, s.RangeMax)
	case s.RangeMax > 0 && s.RangeMin >= s.RangeMax:
		return bad("range-min %d must be smaller than range-max %d", s.RangeMin, s.RangeMax)
	case s.RangeMax > 0 && s.NegativesPerAnchor > s.RangeMax-s.RangeMin:
		return bad("cannot choose %d negatives per anchor from ranks %d to %d: only %d candidates; lower the negatives or widen the window",
			s.NegativesPerAnchor, s.RangeMin, s.RangeMax-1, s.RangeMax-s.RangeMin)
	case s.RangeMax > 1<<20 || s.RangeMin > 1<<20:
		return bad("range-min %d and range-max %d: at most %d", s.RangeMin, s.RangeMax, 1<<20)
	}
	for _, l := range []struct {
		name string
		v    *float64
	}{
		{"min-score", s.Limits.MinScore}, {"max-score", s.Limits.MaxScore},
		{"relative-margin", s.Limits.RelativeMargin}, {"absolute-margin", s.Limits.AbsoluteMargin},
	} {
		if l.v != nil && (math.IsNaN(*l.v) || math.IsInf(*l.v, 0) || *l.v < -2 || *l.v > 2) {
			return bad("%s %v must be a number between -2 and 2", l.name, *l.v)
		}
	}
	if s.Limits.MinScore != nil && s.Limits.MaxScore != nil && *s.Limits.MinScore > *s.Limits.MaxScore {
		return bad("min-score %v is above max-score %v", *s.Limits.MinScore, *s.Limits.MaxScore)
	}
	if !(s.NearDuplicates >= 0 && s.NearDuplicates <= 1) {
		return bad("exclude-near-duplicates %v must be a cosine in (0, 1], or 0 to turn it off", s.NearDuplicates)
	}
	if s.Quota != choose.Balanced && s.Quota != choose.Notebook {
		return bad("quota %v", s.Quota)
	}
	if s.MaxPerBand < 0 {
		return bad("max-per-band %d must not be negative", s.MaxPerBand)
	}
	if s.MaxPerBand > 0 && s.Quota == choose.Notebook {
		return bad("--max-per-band caps the balanced quota; the notebook quota fills shortfalls from any band: use --quota balanced")
	}
	if !(s.TrainRatio >= 0 && s.TrainRatio <= 1) || !(s.ValRatio >= 0 && s.ValRatio <= 1) {
		return bad("train ratio %v and validation ratio %v must be in [0, 1]", s.TrainRatio, s.ValRatio)
	}
	if math.Abs(s.TrainRatio+s.ValRatio-1) > 1e-9 {
		return bad("train ratio %v and validation ratio %v must sum to 1", s.TrainRatio, s.ValRatio)
	}
	spec := s.Spec()
	if spec == nil {
		return bad("format %q: want triplet, ntuple, labeled-pair, labeled-list or flagembedding", s.Format)
	}
	if spec.Grouped && s.SplitBy == split.ModeRow {
		return bad("format %s groups rows by anchor: split by anchor or component, not by row", s.Format)
	}
	if s.Exclude.Hops < 1 && !s.Exclude.Component || s.Exclude.Hops > 100 {
		return bad("exclude %v", s.Exclude)
	}
	if s.Lexical.Contains < 0 || s.Lexical.EditDistance < 0 || s.Lexical.EditDistance > guard.MaxEditDistance || s.Lexical.EditMinRunes < 0 {
		return bad("lexical guards: contains %d, edit distance %d (at most %d), edit min runes %d must not be negative",
			s.Lexical.Contains, s.Lexical.EditDistance, guard.MaxEditDistance, s.Lexical.EditMinRunes)
	}
	if s.Lexical.On() && in.General() {
		return bad("the lexical guards (--exclude-normalized, --exclude-contains, --exclude-edit-distance) compare terms with terms, for the synonym job; for documents use --exclude-near-duplicates")
	}
	if s.MaxNegativeReuse < 0 {
		return bad("max-negative-reuse %d must not be negative", s.MaxNegativeReuse)
	}
	if s.Store != StoreF32 && s.Store != StoreF16 {
		return bad("store %q: want %q or %q", s.Store, StoreF32, StoreF16)
	}
	if s.MaxMemory < 0 {
		return bad("max memory is %d bytes", s.MaxMemory)
	}
	if s.Threads < 0 {
		return bad("threads is %d", s.Threads)
	}
	if s.ChunkRows < 0 {
		return bad("chunk rows is %d", s.ChunkRows)
	}
	return nil
}
