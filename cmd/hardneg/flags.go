package main

import (
	"encoding"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/hardneg/hardneg/choose"
	"github.com/hardneg/hardneg/format"
	"github.com/hardneg/hardneg/guard"
	"github.com/hardneg/hardneg/mine"
	"github.com/hardneg/hardneg/scan"
	"github.com/hardneg/hardneg/source"
	"github.com/hardneg/hardneg/split"
)

// flagGroup is a titled set of flags; --help lists the groups in order.
type flagGroup struct {
	title string
	fs    *pflag.FlagSet
}

func newGroup(title string) flagGroup {
	fs := pflag.NewFlagSet(title, pflag.ContinueOnError)
	fs.SortFlags = false
	return flagGroup{title: title, fs: fs}
}

// textFlag makes any value with text marshalling a flag.
type textFlag[T any] struct {
	v   *T
	typ string
}

func (f textFlag[T]) String() string {
	if m, ok := any(f.v).(encoding.TextMarshaler); ok {
		b, _ := m.MarshalText()
		return string(b)
	}
	if m, ok := any(*f.v).(encoding.TextMarshaler); ok {
		b, _ := m.MarshalText()
		return string(b)
	}
	return fmt.Sprint(*f.v)
}

func (f textFlag[T]) Set(s string) error {
	return any(f.v).(encoding.TextUnmarshaler).UnmarshalText([]byte(s))
}

func (f textFlag[T]) Type() string { return f.typ }

// optFloat is a float flag that is unset until given: a nil pointer means
// off.
type optFloat struct{ p **float64 }

func (f optFloat) String() string {
	if *f.p == nil {
		return ""
	}
	return strconv.FormatFloat(**f.p, 'g', -1, 64)
}

func (f optFloat) Set(s string) error {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return fmt.Errorf("want a number, got %q", s)
	}
	*f.p = &v
	return nil
}

func (f optFloat) Type() string { return "float" }

// rangeFlag is a band range written LO,HI.
type rangeFlag struct{ lo, hi float64 }

func (r *rangeFlag) String() string {
	return strconv.FormatFloat(r.lo, 'g', -1, 64) + "," + strconv.FormatFloat(r.hi, 'g', -1, 64)
}

func (r *rangeFlag) Set(s string) error {
	lo, hi, ok := strings.Cut(s, ",")
	if !ok {
		return fmt.Errorf("want two numbers LO,HI, got %q", s)
	}
	l, err1 := strconv.ParseFloat(strings.TrimSpace(lo), 64)
	h, err2 := strconv.ParseFloat(strings.TrimSpace(hi), 64)
	if err1 != nil || err2 != nil {
		return fmt.Errorf("want two numbers LO,HI, got %q", s)
	}
	r.lo, r.hi = l, h
	return nil
}

func (r *rangeFlag) Type() string { return "LO,HI" }

// parseBand reads NAME:LO:HI:RATIO.
func parseBand(s string) (choose.Band, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 4 {
		return choose.Band{}, fmt.Errorf("--band %q: want NAME:LO:HI:RATIO, e.g. hard:0.7:0.9:0.34", s)
	}
	var v [3]float64
	for i, p := range parts[1:] {
		x, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return choose.Band{}, fmt.Errorf("--band %q: %q is not a number", s, p)
		}
		v[i] = x
	}
	return choose.Band{Name: strings.TrimSpace(parts[0]), Lo: v[0], Hi: v[1], Ratio: v[2]}, nil
}

var bandNames = [3]string{"easy", "medium", "hard"}

// inputFlags are the flags that name the input files.
type inputFlags struct {
	dataDir, beirDir string
	in               mine.Inputs
}

func (f *inputFlags) add(g flagGroup) {
	fs := g.fs
	fs.StringVar(&f.dataDir, "data-dir", "", "the synonym job: a folder holding the three files below")
	fs.StringVar(&f.in.Pairs, "pairs", "", "synonym pairs, JSONL {\"source\", \"target\"} (default DIR/filtered_synonym_pairs.jsonl)")
	fs.StringVar(&f.in.Embeddings, "embeddings", "", "term embeddings, N x D .npy; row i embeds term i (default DIR/term_embeddings.npy)")
	fs.StringVar(&f.in.Terms, "terms", "", "term list, a JSON array of N strings (default DIR/term_list.json)")
	fs.StringVar(&f.beirDir, "beir-dir", "", "queries against a corpus: a folder holding corpus.jsonl, queries.jsonl,\nqrels/train.tsv, corpus_embeddings.npy and query_embeddings.npy")
	fs.StringVar(&f.in.Corpus, "corpus", "", "corpus, JSONL {\"_id\", \"title\" (optional), \"text\"}; a document's text in the rows is\nits title, a space and its text (the text alone when the title is empty)")
	fs.StringVar(&f.in.CorpusEmbeddings, "corpus-embeddings", "", "corpus embeddings .npy; row i embeds line i of --corpus")
	fs.StringVar(&f.in.Queries, "queries", "", "queries, JSONL {\"_id\", \"text\"}")
	fs.StringVar(&f.in.QueryEmbeddings, "query-embeddings", "", "query embeddings .npy; row i embeds line i of --queries")
	fs.StringVar(&f.in.Qrels, "qrels", "", "judgements, TSV with the header query-id<TAB>corpus-id<TAB>score; a score above 0\nmakes the document a positive of the query")
}

// BEIR file names under --beir-dir.
const (
	beirCorpus           = mine.BEIRCorpus
	beirQueries          = mine.BEIRQueries
	beirQrels            = mine.BEIRQrels
	beirCorpusEmbeddings = mine.BEIRCorpusEmbeddings
	beirQueryEmbeddings  = mine.BEIRQueryEmbeddings
)

// overrides are the paths given, folders resolved, without requiring a
// complete set: what a merge reads instead of the recorded paths.
func (f *inputFlags) overrides() mine.Inputs {
	in := f.in
	def := func(dst *string, dir, name string) {
		if *dst == "" && dir != "" {
			*dst = filepath.Join(dir, name)
		}
	}
	def(&in.Pairs, f.dataDir, "filtered_synonym_pairs.jsonl")
	def(&in.Terms, f.dataDir, "term_list.json")
	def(&in.Corpus, f.beirDir, beirCorpus)
	def(&in.Queries, f.beirDir, beirQueries)
	def(&in.Qrels, f.beirDir, beirQrels)
	return in
}

// inputs resolves the folders into file paths; given files win over the
// folders' defaults.
func (f *inputFlags) inputs() (mine.Inputs, error) {
	in := f.in
	def := func(dst *string, dir, name string) {
		if *dst == "" && dir != "" {
			*dst = filepath.Join(dir, name)
		}
	}
	general := f.beirDir != "" || in.General()
	switch {
	case general && (f.dataDir != "" || in.Pairs != "" || in.Terms != "" || in.Embeddings != ""):
		return in, &usageError{errors.New("give either the synonym job's files (--data-dir, or --pairs, --embeddings and --terms) or a corpus (--beir-dir, or --corpus, --corpus-embeddings, --queries, --query-embeddings and --qrels), not both")}
	case general:
		def(&in.Corpus, f.beirDir, beirCorpus)
		def(&in.Queries, f.beirDir, beirQueries)
		def(&in.Qrels, f.beirDir, beirQrels)
		def(&in.CorpusEmbeddings, f.beirDir, beirCorpusEmbeddings)
		def(&in.QueryEmbeddings, f.beirDir, beirQueryEmbeddings)
		var missing []string
		for _, p := range []struct{ flag, v string }{{"--corpus", in.Corpus}, {"--corpus-embeddings", in.CorpusEmbeddings}, {"--queries", in.Queries}, {"--query-embeddings", in.QueryEmbeddings}, {"--qrels", in.Qrels}} {
			if p.v == "" {
				missing = append(missing, p.flag)
			}
		}
		if len(missing) > 0 {
			return in, &usageError{fmt.Errorf("queries against a corpus need %s too (or --beir-dir)", strings.Join(missing, ", "))}
		}
	default:
		def(&in.Pairs, f.dataDir, "filtered_synonym_pairs.jsonl")
		def(&in.Embeddings, f.dataDir, "term_embeddings.npy")
		def(&in.Terms, f.dataDir, "term_list.json")
		if in.Pairs == "" || in.Embeddings == "" || in.Terms == "" {
			return in, &usageError{errors.New("give --data-dir (a folder holding filtered_synonym_pairs.jsonl, term_embeddings.npy and term_list.json), or all of --pairs, --embeddings and --terms; or, for queries against a corpus, --beir-dir")}
		}
	}
	return in, nil
}

// checkFolders refuses a --data-dir or --beir-dir that is missing, or
// lacks a file the run would take from it, listing what the folder should
// hold; files given by their own flags are not looked for there.
func (f *inputFlags) checkFolders(in mine.Inputs) error {
	for _, d := range []struct {
		flag, dir string
		files     []struct{ name, path string }
	}{
		{"--data-dir", f.dataDir, []struct{ name, path string }{
			{source.PairsFile, in.Pairs}, {source.EmbeddingsFile, in.Embeddings}, {source.TermsFile, in.Terms}}},
		{"--beir-dir", f.beirDir, []struct{ name, path string }{
			{beirCorpus, in.Corpus}, {beirQueries, in.Queries}, {beirQrels, in.Qrels},
			{beirCorpusEmbeddings, in.CorpusEmbeddings}, {beirQueryEmbeddings, in.QueryEmbeddings}}},
	} {
		if d.dir == "" {
			continue
		}
		var names, missing []string
		var first error
		for _, file := range d.files {
			names = append(names, file.name)
			if file.path != filepath.Join(d.dir, file.name) {
				continue // given by its own flag
			}
			if _, err := os.Stat(file.path); err != nil {
				missing = append(missing, file.path)
				if first == nil {
					first = err
				}
			}
		}
		if len(missing) == 0 {
			continue
		}
		list := strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
		if _, err := os.Stat(d.dir); err != nil {
			return fmt.Errorf("%w: %s %s: %w; it should be a folder holding %s", mine.ErrInput, d.flag, d.dir, err, list)
		}
		return fmt.Errorf("%w: %s %s lacks %s (%w); it should hold %s", mine.ErrInput, d.flag, d.dir, strings.Join(missing, " and "), first, list)
	}
	return nil
}

// selectionFlags bind the settings that choose negatives, shared by mine
// and inspect, directly to a Settings.
type selectionFlags struct {
	s      *mine.Settings
	ranges [3]rangeFlag
	ratios [3]float64
	bands  []string
}

func (f *selectionFlags) addBands(g flagGroup) {
	fs := g.fs
	def := choose.DefaultBands()
	for i, name := range bandNames {
		f.ranges[i] = rangeFlag{def[i].Lo, def[i].Hi}
		fs.Var(&f.ranges[i], name+"-range", fmt.Sprintf("cosine range of the %s band, half-open [LO, HI)", name))
	}
	for i, name := range bandNames {
		fs.Float64Var(&f.ratios[i], name+"-ratio", def[i].Ratio, fmt.Sprintf("share of negatives from the %s band", name))
	}
	fs.StringArrayVar(&f.bands, "band", nil, "a band as NAME:LO:HI:RATIO, e.g. hard:0.7:0.9:0.34; repeat it for each band, in\nincreasing order, to replace the three bands above with any number of your own")
	fs.BoolVar(&f.s.NoBands, "no-bands", false, "no similarity bands: every candidate is eligible (difficulty \"all\"), as in\nsentence-transformers; combine with --range-max, --sampling and the limits")
}

func (f *selectionFlags) addChoice(g flagGroup) {
	s, fs := f.s, g.fs
	fs.IntVarP(&s.NegativesPerAnchor, "negatives-per-anchor", "n", s.NegativesPerAnchor, "negatives per anchor; each makes one triplet per positive")
	fs.IntVar(&s.NegativesPerAnchor, "num-negatives", s.NegativesPerAnchor, "the same as --negatives-per-anchor (sentence-transformers' name)")
	fs.Var(textFlag[scan.Sampling]{&s.Sampling, "MODE"}, "sampling", "order of the candidates of a band (or window): 'random' (uniform), 'top' (most\nsimilar first) or 'simans' (SimANS: weight exp(-a (s - s+ - b)^2), s+ the anchor's\nlowest positive similarity; use it with a rank window, as the paper does)")
	fs.Float64Var(&s.SimANSA, "simans-a", s.SimANSA, "SimANS's a (the paper's default; cosines need a larger one, e.g. 20)")
	fs.Float64Var(&s.SimANSB, "simans-b", s.SimANSB, "SimANS's b: where the weight peaks, relative to s+")
	fs.IntVar(&s.RangeMin, "range-min", 0, "skip the RANGE-MIN most similar candidates (rank 0 is the most similar candidate\nleft after the guards and score limits), as sentence-transformers' range_min")
	fs.IntVar(&s.RangeMax, "range-max", 0, "only candidates ranked below RANGE-MAX are eligible (0: no limit)")
	fs.IntVar(&s.MaxPerBand, "max-per-band", 0, "at most this many of an anchor's negatives from one band (balanced quota; 0: no cap),\nso the overall mix is not met by giving some anchors only hard negatives and others\nnone; an anchor whose other bands run dry then gets fewer negatives")
	fs.Var(textFlag[choose.QuotaMode]{&s.Quota, "MODE"}, "quota", "how band quotas are set: 'balanced' meets the ratios over the whole data set;\n'notebook' reproduces the notebook's int(n*ratio) quotas (1/1/3 of 5) and its fill")
}

func (f *selectionFlags) addGuards(g flagGroup) {
	s, fs := f.s, g.fs
	fs.Var(textFlag[guard.GraphRule]{&s.Exclude, "RULE"}, "exclude", "items never used as an anchor's negatives, by the graph of positives: 'positives'\n(as the notebook), 'hops:K' (everything within K links) or 'component' (the whole\nconnected component; with a giant component this also removes legitimate negatives)")
	fs.Var(optFloat{&s.Limits.RelativeMargin}, "relative-margin", "keep a candidate only if its similarity s <= s+ - |s+| * M, s+ the anchor's lowest\npositive similarity (0.05 is NV-Retriever's TopK-PercPos 95%); sign-safe, as\nsentence-transformers' relative_margin")
	fs.Var(optFloat{&s.Limits.AbsoluteMargin}, "absolute-margin", "keep a candidate only if s <= s+ - M (sentence-transformers' absolute_margin)")
	fs.Var(optFloat{&s.Limits.MaxScore}, "max-score", "keep a candidate only if s <= MAX-SCORE")
	fs.Var(optFloat{&s.Limits.MinScore}, "min-score", "keep a candidate only if s >= MIN-SCORE")
	fs.Float64Var(&s.NearDuplicates, "exclude-near-duplicates", 0, "drop candidates whose cosine to any of the anchor's positives is at least T\n(e.g. 0.95): near-copies of a positive are the commonest false negatives (0: off)")
	fs.BoolVar(&s.Lexical.Normalized, "exclude-normalized", false, "term lists: never use a term equal to the anchor or a positive after Unicode NFKC,\ncase folding and removing white space (ＡＢＣ, abc, A B C)")
	fs.IntVar(&s.Lexical.Contains, "exclude-contains", 0, "term lists: never use a term that contains, or is contained in, the anchor or a\npositive (normalised), when the shorter has at least this many characters (0: off)")
	fs.IntVar(&s.Lexical.EditDistance, "exclude-edit-distance", 0, "term lists: never use a term within this edit distance (1 to 3) of the anchor or a\npositive (0: off)")
	s.Lexical.EditMinRunes = 3
	fs.IntVar(&s.Lexical.EditMinRunes, "exclude-edit-min-length", 3, "the edit-distance guard applies to terms of at least this many characters")
	fs.IntVar(&s.MaxNegativeReuse, "max-negative-reuse", 0, "at most this many anchors may use one item as a negative (0: no cap); the stats\nfile lists the most used negatives either way")
	fs.Var(retired{"--relative-margin 0.05 (keeps s <= s+ - |s+| * 0.05; --max-neg-ratio 0.95 kept s <= 0.95 * s+, wrong when s+ < 0)"}, "max-neg-ratio", "retired: use --relative-margin")
	fs.Var(retired{"--absolute-margin (the same rule, under sentence-transformers' name)"}, "max-neg-margin", "retired: use --absolute-margin")
	_ = fs.MarkHidden("max-neg-ratio")
	_ = fs.MarkHidden("max-neg-margin")
}

// retired is a flag that no longer exists; setting it names its successor.
type retired struct{ use string }

func (r retired) String() string { return "" }
func (r retired) Set(string) error {
	return fmt.Errorf("this flag was retired; use %s", r.use)
}
func (r retired) Type() string { return "retired" }

// bandsFrom fills s.Bands from the band flags.
func (f *selectionFlags) bandsFrom(fs *pflag.FlagSet) error {
	f.s.Bands = nil
	if len(f.bands) > 0 {
		for _, name := range bandNames {
			for _, fl := range []string{name + "-range", name + "-ratio"} {
				if fs.Changed(fl) {
					return &usageError{fmt.Errorf("--%s and --band do not mix: with --band, list every band", fl)}
				}
			}
		}
		var terms []string
		for _, b := range f.bands {
			band, err := parseBand(b)
			if err != nil {
				return &usageError{err}
			}
			f.s.Bands = append(f.s.Bands, band)
			terms = append(terms, fmt.Sprintf("%s (--band %s)", fmtFloat(band.Ratio), b))
		}
		return f.ratiosSumToOne(terms)
	}
	var terms []string
	for i, name := range bandNames {
		r := f.ranges[i]
		f.s.Bands = append(f.s.Bands, choose.Band{Name: name, Lo: r.lo, Hi: r.hi, Ratio: f.ratios[i]})
		terms = append(terms, fmt.Sprintf("--%s-ratio %s", name, fmtFloat(f.ratios[i])))
	}
	return f.ratiosSumToOne(terms)
}

// ratiosSumToOne refuses band ratios that do not sum to 1, naming the flags
// that set them; without bands they do not matter.
func (f *selectionFlags) ratiosSumToOne(terms []string) error {
	if f.s.NoBands {
		return nil
	}
	sum := 0.0
	for _, b := range f.s.Bands {
		sum += b.Ratio
	}
	if math.Abs(sum-1) <= 1e-6 || math.IsNaN(sum) {
		return nil // NaN and single-band mistakes are for the bands' own checks
	}
	return &usageError{fmt.Errorf("the band ratios must sum to 1: %s = %s", strings.Join(terms, " + "), fmtFloat(sum))}
}

// fmtFloat spells x without float noise: 1.17, not 1.1700000000000002.
func fmtFloat(x float64) string {
	return strconv.FormatFloat(math.Round(x*1e9)/1e9, 'g', -1, 64)
}

// outputFlags bind the settings that shape the outputs.
func addSplitFlags(g flagGroup, s *mine.Settings) {
	fs := g.fs
	fs.Float64Var(&s.TrainRatio, "train-ratio", s.TrainRatio, "share of rows in the train split")
	fs.Float64Var(&s.ValRatio, "val-ratio", s.ValRatio, "share of rows in the validation split (default: 1 - --train-ratio; the two sum to 1)")
	fs.Var(textFlag[split.Mode]{&s.SplitBy, "MODE"}, "split-by", "how rows are divided: 'row' (the notebook: an anchor can land on both sides),\n'anchor' (all of an anchor's rows on one side) or 'component' (no group of linked\nqueries and positives on both sides); the grouped formats split by anchor by default")
	fs.Uint64Var(&s.Seed, "seed", s.Seed, "seed of every random choice; the same seed and inputs give byte-identical outputs")
}

func addFormatFlags(g flagGroup, s *mine.Settings) {
	fs := g.fs
	fs.Var(textFlag[format.Name]{&s.Format, "FORMAT"}, "format", "row shape: 'triplet' (the notebook's), 'n-tuple' (anchor, positive, negative_1..k),\n'labeled-pair' (anchor, text, label), 'labeled-list' (anchor, texts, labels), as\nsentence-transformers writes them, or 'flagembedding' ({\"query\", \"pos\", \"neg\"})")
	fs.BoolVar(&s.WithScores, "with-scores", false, "add similarities as sentence-transformers' output_scores does: a 'scores' list\n(triplet, n-tuple, labeled-list), 'score' instead of 'label' (labeled-pair), or\npos_scores and neg_scores (flagembedding)")
	fs.BoolVar(&s.WithIDs, "with-ids", false, "add query_id and the documents' ids (positive_id, negative_id; text_id(s) for the\nlabeled formats; lists in the grouped formats), to join back to your corpus")
	fs.BoolVar(&s.Parquet, "parquet", false, "also write the splits as Parquet in the Hub's layout: data/train-00000-of-00001.parquet, ...")
}
