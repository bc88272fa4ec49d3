package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/hardneg/hardneg/guard"
	"github.com/hardneg/hardneg/mine"
	"github.com/hardneg/hardneg/npy"
	"github.com/hardneg/hardneg/report"
	"github.com/hardneg/hardneg/sample"
	"github.com/hardneg/hardneg/source"
	"github.com/hardneg/hardneg/split"
	"github.com/hardneg/hardneg/synth"
)

// usageError is a mistake in the command line.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

const exitCodesHelp = `Exit codes:
  0    success
  1    the run failed (I/O error, out of memory, ...)
  2    bad flags or settings
  3    an input file cannot be used (the message names the file and line or row)
  4    outputs already exist and --force was not given
  5    the run would need more memory than is available or --max-memory allows
  130  interrupted by Ctrl-C (SIGINT); earlier outputs are left as they were
  143  terminated by SIGTERM; earlier outputs are left as they were`

// run is the whole command: tests call it directly.
func run(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	root := &cobra.Command{
		Use:   "hardneg",
		Short: "Mine hard negatives and build contrastive (anchor, positive, negative) training sets",
		Long: `hardneg builds contrastive training sets — (anchor, positive, negative) triplets —
from synonym pairs and a term embedding matrix, choosing each anchor's negatives
from similarity bands (easy, medium, hard) in set proportions.

Start with 'hardneg demo', which makes a small synthetic data set and mines it.
Then point 'hardneg mine --data-dir DIR' at a folder holding
filtered_synonym_pairs.jsonl, term_embeddings.npy and term_list.json.

` + exitCodesHelp,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetArgs(args)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &usageError{fmt.Errorf("%w (see '%s --help')", err, c.CommandPath())}
	})
	root.AddCommand(mineCmd(stdout, stderr), mergeCmd(stdout, stderr), synthCmd(stdout), demoCmd(stdout, stderr), reportCmd(stdout), inspectCmd(stdout), versionCmd(stdout))
	root.SetContext(ctx)
	err := root.ExecuteContext(ctx)
	if err != nil && isCobraUsage(err) {
		return &usageError{err}
	}
	return err
}

// isCobraUsage recognises cobra's own errors for unknown commands and
// arguments, which it does not type.
func isCobraUsage(err error) bool {
	var ue *usageError
	if errors.As(err, &ue) {
		return false
	}
	s := err.Error()
	return strings.HasPrefix(s, "unknown command") || strings.Contains(s, "arg(s)") || strings.HasPrefix(s, "unknown flag")
}

// mineFlags holds the mine command's flags until they become a mine.Config.
type mineFlags struct {
	dataDir, pairs, embeddings, terms, out string
	ranges                                 [3]rangeFlag
	ratios                                 [3]float64
	bands                                  []string
	negatives                              int
	trainRatio, valRatio                   float64
	seed                                   uint64
	quota, store, splitBy, format, exclude string
	withScores                             bool
	maxNegRatio, maxNegMargin              float64
	maxNegativeReuse                       int
	lexNormalized                          bool
	lexContains, lexEdit, lexEditMin       int
	dumpExcluded                           string
	threads                                int
	batchSize                              int
	force, quiet, printConfig, parquet     bool
	configFile, maxMemory                  string
	progress                               string
	jsonSummary                            bool
}

var bandNames = [3]string{"easy", "medium", "hard"}

func addMineFlags(fs *pflag.FlagSet, f *mineFlags) {
	def := mine.DefaultBands()
	for i, name := range bandNames {
		f.ranges[i] = rangeFlag{def[i].Lo, def[i].Hi}
		fs.Var(&f.ranges[i], name+"-range", fmt.Sprintf("cosine range of the %s band, half-open [LO, HI)", name))
	}
	for i, name := range bandNames {
		fs.Float64Var(&f.ratios[i], name+"-ratio", def[i].Ratio, fmt.Sprintf("share of negatives from the %s band", name))
	}
	fs.StringArrayVar(&f.bands, "band", nil, "a band as NAME:LO:HI:RATIO, e.g. hard:0.7:0.9:0.34; repeat it for each band, in\nincreasing order, to replace the three bands above with any number of your own")
	fs.IntVarP(&f.negatives, "negatives-per-anchor", "n", 5, "negatives per anchor; each makes one triplet per positive")
	fs.Float64Var(&f.trainRatio, "train-ratio", 0.9, "share of triplets in the train split")
	fs.Float64Var(&f.valRatio, "val-ratio", 0.1, "share of triplets in the validation split (train + val must be 1)")
	fs.Uint64Var(&f.seed, "seed", 42, "seed of every random choice; the same seed and inputs give byte-identical outputs")
	fs.StringVar(&f.quota, "quota", "balanced", "how band quotas are set: 'balanced' meets the ratios over the whole data set;\n'notebook' reproduces the notebook's int(n*ratio) quotas (1/1/3 of 5) and its fill")
	fs.StringVar(&f.splitBy, "split-by", "row", "how triplets are divided: 'row' (the notebook: an anchor can land on both sides),\n'anchor' (all of an anchor's rows on one side) or 'component' (no synonym group on both sides)")
	fs.StringVar(&f.exclude, "exclude", "positives", "terms never used as an anchor's negatives: 'positives' (the anchor and its positives,\nas the notebook), 'hops:K' (every term within K links in the pair graph) or 'component'\n(the anchor's whole connected component; on a graph with a giant component this also\nremoves legitimate hard negatives, see the stats file)")
	fs.BoolVar(&f.lexNormalized, "exclude-normalized", false, "never use a term equal to the anchor or a positive after Unicode NFKC, case folding\nand removing white space (ＡＢＣ, abc, A B C)")
	fs.IntVar(&f.lexContains, "exclude-contains", 0, "never use a term that contains, or is contained in, the anchor or a positive\n(normalised), when the shorter has at least this many characters (e.g. 2: 임상증상 and 증상; 0: off)")
	fs.IntVar(&f.lexEdit, "exclude-edit-distance", 0, "never use a term within this edit distance (1 to 3) of the anchor or a positive (0: off)")
	fs.IntVar(&f.lexEditMin, "exclude-edit-min-length", 3, "the edit-distance guard applies to terms of at least this many characters")
	fs.StringVar(&f.dumpExcluded, "dump-excluded", "", "write every candidate a guard excluded (beyond the anchor and its positives) to this\nJSONL file: {\"anchor\", \"term\", \"rule\"}")
	fs.Float64Var(&f.maxNegRatio, "max-neg-ratio", 0, "drop candidates more similar than this times the anchor's lowest positive similarity\n(e.g. 0.95, NV-Retriever's TopK-PercPos; 0: off)")
	fs.Float64Var(&f.maxNegMargin, "max-neg-margin", 0, "drop candidates more similar than the anchor's lowest positive similarity minus this\n(e.g. 0.05; 0: off)")
	fs.IntVar(&f.maxNegativeReuse, "max-negative-reuse", 0, "at most this many anchors may use one term as a negative (0: no cap); the stats file\nlists the most used negatives either way")
	fs.StringVar(&f.format, "format", "triplet", "row shape: 'triplet' (the notebook's), 'ntuple' (anchor, positive,\nnegative_1..negative_k, as sentence-transformers trains on) or 'flagembedding'\n({\"query\", \"pos\", \"neg\"} JSONL); the grouped formats split by anchor unless --split-by says component")
	fs.BoolVar(&f.withScores, "with-scores", false, "add the positive's similarity (and each negative's, for ntuple) to every row,\nfor margin losses such as MarginMSE")
	fs.StringVar(&f.store, "store", "f32", "precision the normalised embeddings are kept in for the scan: 'f32', or 'f16'\nto halve the memory (similarities then move by up to about 1e-3)")
	fs.IntVar(&f.threads, "threads", 0, "worker threads (0: all cores); never changes the output")
	fs.StringVar(&f.maxMemory, "max-memory", "", "refuse to start a run estimated to need more than this, e.g. 8GiB\n(default: the memory the system reports available)")
	fs.IntVar(&f.batchSize, "batch-size", 128, "the notebook's DataConfig.batch_size, accepted so its settings map one to one;\nit has no effect: the scan sizes its own blocks")
	fs.BoolVar(&f.parquet, "parquet", false, "also write the splits as Parquet in the Hub's layout: data/train-00000-of-00001.parquet, ...")
	fs.BoolVar(&f.force, "force", false, "replace outputs that already exist")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "print nothing but errors")
	fs.StringVar(&f.progress, "progress", "auto", progressHelp)
	fs.BoolVar(&f.jsonSummary, "json", false, "print the closing summary on stdout as one JSON object (paths of every output,\nrows per split, target and achieved mix) instead of text")
	fs.StringVar(&f.configFile, "config", "", "YAML file of settings, keyed by flag name; flags given as well override it")
	fs.BoolVar(&f.printConfig, "print-config", false, "print the effective settings as YAML for --config, and stop")
}

// addInputFlags adds the flags that name the three input files.
func addInputFlags(fs *pflag.FlagSet, dataDir, pairs, embeddings, terms *string) {
	fs.StringVar(dataDir, "data-dir", "", "folder holding the three input files")
	fs.StringVar(pairs, "pairs", "", "synonym pairs file (default DIR/"+source.PairsFile+")")
	fs.StringVar(embeddings, "embeddings", "", "embedding matrix (default DIR/"+source.EmbeddingsFile+")")
	fs.StringVar(terms, "terms", "", "term list (default DIR/"+source.TermsFile+")")
}

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
func parseBand(s string) (mine.Band, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 4 {
		return mine.Band{}, fmt.Errorf("--band %q: want NAME:LO:HI:RATIO, e.g. hard:0.7:0.9:0.34", s)
	}
	var v [3]float64
	for i, p := range parts[1:] {
		x, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return mine.Band{}, fmt.Errorf("--band %q: %q is not a number", s, p)
		}
		v[i] = x
	}
	return mine.Band{Name: strings.TrimSpace(parts[0]), Lo: v[0], Hi: v[1], Ratio: v[2]}, nil
}

func (f *mineFlags) config(fs *pflag.FlagSet) (mine.Config, error) {
	if f.dataDir == "" && (f.pairs == "" || f.embeddings == "" || f.terms == "") {
		return mine.Config{}, &usageError{errors.New("give --data-dir, or all of --pairs, --embeddings and --terms")}
	}
	cfg := mine.DefaultConfig(f.dataDir)
	for _, o := range []struct {
		dst *string
		v   string
	}{{&cfg.PairsPath, f.pairs}, {&cfg.EmbeddingsPath, f.embeddings}, {&cfg.TermsPath, f.terms}, {&cfg.OutDir, f.out}} {
		if o.v != "" {
			*o.dst = o.v
		}
	}
	if cfg.OutDir == "" {
		return mine.Config{}, &usageError{errors.New("give --out (there is no --data-dir to default to)")}
	}
	cfg.Bands = nil
	if len(f.bands) > 0 {
		for _, name := range bandNames {
			for _, fl := range []string{name + "-range", name + "-ratio"} {
				if fs.Changed(fl) {
					return mine.Config{}, &usageError{fmt.Errorf("--%s and --band do not mix: with --band, list every band", fl)}
				}
			}
		}
		for _, s := range f.bands {
			b, err := parseBand(s)
			if err != nil {
				return mine.Config{}, &usageError{err}
			}
			cfg.Bands = append(cfg.Bands, b)
		}
	} else {
		for i, name := range bandNames {
			r := f.ranges[i]
			cfg.Bands = append(cfg.Bands, mine.Band{Name: name, Lo: r.lo, Hi: r.hi, Ratio: f.ratios[i]})
		}
	}
	mode, err := sample.ParseMode(f.quota)
	if err != nil {
		return mine.Config{}, &usageError{err}
	}
	cfg.Quota = mode
	if cfg.SplitBy, err = split.ParseMode(f.splitBy); err != nil {
		return mine.Config{}, &usageError{fmt.Errorf("--split-by: %w", err)}
	}
	cfg.Format, cfg.WithScores = f.format, f.withScores
	cfg.Exclude, cfg.MaxNegRatio, cfg.MaxNegMargin, cfg.MaxNegativeReuse = f.exclude, f.maxNegRatio, f.maxNegMargin, f.maxNegativeReuse
	cfg.Lexical = guard.Rules{Normalized: f.lexNormalized, Contains: f.lexContains, EditDistance: f.lexEdit, EditMinRunes: f.lexEditMin}
	cfg.DumpExcluded = f.dumpExcluded
	if cfg.Format != mine.FormatTriplet && !fs.Changed("split-by") {
		cfg.SplitBy = split.ModeAnchor // whole anchors, so tuples stay whole
	}
	cfg.NegativesPerAnchor = f.negatives
	cfg.TrainRatio, cfg.ValRatio = f.trainRatio, f.valRatio
	cfg.Seed = f.seed
	cfg.Store = f.store
	cfg.Parquet = f.parquet
	cfg.Threads = f.threads
	if f.maxMemory != "" {
		n, err := mine.ParseBytes(f.maxMemory)
		if err != nil {
			return mine.Config{}, &usageError{fmt.Errorf("--max-memory: %w", err)}
		}
		cfg.MaxMemory = n
	}
	cfg.Force = f.force
	if f.batchSize < 1 {
		return mine.Config{}, &usageError{fmt.Errorf("--batch-size %d must be positive", f.batchSize)}
	}
	return cfg, cfg.Validate()
}

func mineCmd(stdout, stderr io.Writer) *cobra.Command {
	var f mineFlags
	var shard shardFlag
	c := &cobra.Command{
		Use:   "mine --data-dir DIR [flags]",
		Short: "Mine triplets from synonym pairs and term embeddings",
		Long: `Mine reads three files:

  DIR/filtered_synonym_pairs.jsonl  one {"source": ..., "target": ...} object per line
  DIR/term_embeddings.npy           an N x D float16/32/64 matrix; row i embeds term i
  DIR/term_list.json                a JSON array of the N terms

Every pair links its two terms both ways; each linked term is an anchor, and
its partners are its positives. For every anchor it computes the exact cosine
similarity to every term, sorts the candidates (all terms but the anchor and
its positives) into the bands, takes --negatives-per-anchor of them in the
bands' ratios, and writes one triplet per positive and negative. Triplets are
shuffled with --seed and split by row into train and validation.

It writes into --out (default: DIR), all at once at the end, so a failed or
interrupted run leaves earlier outputs as they were:

  triplet_dataset/             HuggingFace DatasetDict (datasets.load_from_disk)
  train_triplets.jsonl         {"anchor", "positive", "negative",
  val_triplets.jsonl            "negative_similarity", "difficulty"} per line
  data_preparation_stats.json  settings, counts, target and achieved mix, inputs'
                               sizes and SHA-256, stage timings
  data/                        with --parquet: the splits as Parquet (Hub layout)

` + exitCodesHelp,
		Example: `  hardneg mine --data-dir data/v21.3
  hardneg mine --data-dir data/v21.3 --out runs/01 --hard-range 0.7,0.85 --seed 7
  hardneg mine --pairs p.jsonl --embeddings e.npy --terms t.json --out runs/02 --quota notebook
  hardneg mine --data-dir data/v21.3 --seed 7 --print-config > run.yaml
  hardneg mine --config run.yaml --out runs/03
  hardneg mine --data-dir data/v21.3 --out runs/04/shards --shard env/7   # then: hardneg merge --out runs/04 runs/04/shards`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.configFile != "" {
				if err := applyConfig(cmd.Flags(), f.configFile); err != nil {
					return err
				}
			}
			cfg, err := f.config(cmd.Flags())
			if err != nil {
				return err
			}
			if f.printConfig {
				// Print absolute paths, so the file works from any folder.
				for _, p := range []struct{ name, value string }{{"data-dir", f.dataDir}, {"pairs", cfg.PairsPath}, {"embeddings", cfg.EmbeddingsPath}, {"terms", cfg.TermsPath}, {"out", cfg.OutDir}} {
					if p.value == "" {
						continue
					}
					abs, err := filepath.Abs(p.value)
					if err != nil {
						return err
					}
					if err := cmd.Flags().Set(p.name, abs); err != nil {
						return err
					}
				}
				return printConfig(stdout, cmd.Flags())
			}
			if shard.n > 0 {
				return runMineShard(cmd.Context(), stderr, f.quiet, f.progress, cfg, &shard)
			}
			hooks, err := mineHooks(stderr, f.quiet, f.progress)
			if err != nil {
				return err
			}
			start := time.Now()
			res, err := mine.Run(cmd.Context(), cfg, hooks)
			if err != nil {
				return err
			}
			switch {
			case f.jsonSummary:
				return writeJSONSummary(stdout, res, time.Since(start))
			case !f.quiet:
				printSummary(stdout, res, time.Since(start))
			}
			return nil
		},
	}
	fs := c.Flags()
	fs.SortFlags = false
	addInputFlags(fs, &f.dataDir, &f.pairs, &f.embeddings, &f.terms)
	fs.StringVarP(&f.out, "out", "o", "", "output folder (default DIR)")
	addMineFlags(fs, &f)
	fs.Var(&shard, "shard", shardFlagHelp)
	return c
}

const progressHelp = `how the scan reports progress on stderr: 'auto' (a bar on a terminal, a line
every 10 s in a log), or 'json' (one line {"stage": "scan", "done": N, "total": M}
at most every 100 ms and when done, for programs such as the Python package)`

// mineHooks reports stages on stderr, with a progress bar during the scan
// when stderr is a terminal and a progress line every logEvery otherwise
// (a batch job's log); progress "json" writes machine-readable lines
// instead.
func mineHooks(stderr io.Writer, quiet bool, progress string) (mine.Hooks, error) {
	switch progress {
	case "auto", "json":
	default:
		return mine.Hooks{}, &usageError{fmt.Errorf("--progress %q: want auto or json", progress)}
	}
	if quiet {
		return mine.Hooks{}, nil
	}
	h := mine.Hooks{Log: stderr}
	if progress == "json" {
		p := &progressJSON{w: stderr, every: 100 * time.Millisecond}
		h.ScanStart, h.ScanProgress, h.ScanDone = p.start, p.add, p.done
		return h, nil
	}
	file, ok := stderr.(*os.File)
	if !ok || !term.IsTerminal(int(file.Fd())) {
		p := &progressLog{w: stderr, every: logEvery}
		h.ScanStart, h.ScanProgress = p.start, p.add
		return h, nil
	}
	var bar *progressbar.ProgressBar
	h.ScanStart = func(n int) {
		bar = progressbar.NewOptions(n,
			progressbar.OptionSetWriter(stderr),
			progressbar.OptionSetDescription("scanning anchors"),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("anchors"),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	h.ScanProgress = func(n int) { _ = bar.Add(n) }
	h.ScanDone = func() {
		if bar != nil {
			_ = bar.Finish()
		}
	}
	return h, nil
}

// progressJSON writes scan progress as JSON lines at most once per
// interval, and once more when the scan is done.
type progressJSON struct {
	w           io.Writer
	every       time.Duration
	mu          sync.Mutex
	total, sent int
	count       int
	last        time.Time
}

func (p *progressJSON) start(total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total, p.count, p.sent = total, 0, -1
	p.last = time.Time{}
	p.emit()
}

func (p *progressJSON) add(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.count += n
	if time.Since(p.last) >= p.every {
		p.emit()
	}
}

func (p *progressJSON) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.sent != p.count {
		p.emit()
	}
}

func (p *progressJSON) emit() {
	p.last, p.sent = time.Now(), p.count
	fmt.Fprintf(p.w, "{\"stage\": \"scan\", \"done\": %d, \"total\": %d}\n", p.count, p.total)
}

// logEvery is how often a scan reports progress to a log.
const logEvery = 10 * time.Second

// progressLog writes a line of scan progress at most once per interval.
type progressLog struct {
	w           io.Writer
	every       time.Duration
	mu          sync.Mutex
	total, done int
	began, last time.Time
}

func (p *progressLog) start(total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total, p.done = total, 0
	p.began, p.last = time.Now(), time.Now()
}

func (p *progressLog) add(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	now := time.Now()
	if now.Sub(p.last) < p.every || p.done >= p.total {
		return
	}
	p.last = now
	elapsed := now.Sub(p.began)
	left := time.Duration(float64(elapsed) * float64(p.total-p.done) / float64(p.done))
	fmt.Fprintf(p.w, "scanned %d of %d anchors (%d%%), about %s left\n",
		p.done, p.total, 100*p.done/p.total, left.Round(time.Second))
}

func synthCmd(stdout io.Writer) *cobra.Command {
	var (
		out   string
		cfg   = synth.DefaultConfig()
		dtype string
		force bool
	)
	c := &cobra.Command{
		Use:   "synth --out DIR [flags]",
		Short: "Write a synthetic data set shaped like the real inputs",
		Long: `Synth writes filtered_synonym_pairs.jsonl, term_embeddings.npy and term_list.json
into DIR: Korean-looking terms (with some Hanja, Latin and multi-word terms),
embeddings with topic and sub-cluster structure (random pairs near cosine 0.3,
some anchors with many medium and hard candidates and some with none), synonym
groups of 2 to 10 terms listed in one or both directions, a few out-of-vocabulary
pairs and blank lines. The same flags always give the same bytes.

A share of the true synonym pairs (--held-out) is left out of the pairs file and
written to heldout_synonym_pairs.jsonl: ground truth for measuring how many mined
negatives are unlisted synonyms. It is not an input of 'hardneg mine'.

The seed scale of the real data is --terms 150000 --dim 1024 --anchors 28000.

` + exitCodesHelp,
		Example: `  hardneg synth --out /tmp/small
  hardneg synth --out /tmp/seed-scale --terms 150000 --dim 1024 --anchors 28000 --dtype f16`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return &usageError{errors.New("give --out DIR")}
			}
			dt, err := parseDType(dtype)
			if err != nil {
				return err
			}
			cfg.DType = dt
			if err := refuseExisting(out, force, source.PairsFile, source.EmbeddingsFile, source.TermsFile, synth.HeldOutFile); err != nil {
				return err
			}
			d, err := synth.Generate(cfg)
			if err != nil {
				return &usageError{err}
			}
			if err := d.WriteDir(out); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "wrote %d terms x %d dims (%s), %d pairs and %d held-out pairs to %s\n", cfg.Terms, cfg.Dim, dtype, len(d.Pairs), len(d.HeldOutPairs), out)
			return nil
		},
	}
	fs := c.Flags()
	fs.SortFlags = false
	fs.StringVarP(&out, "out", "o", "", "folder to write the three files into")
	fs.IntVar(&cfg.Terms, "terms", cfg.Terms, "vocabulary size")
	fs.IntVar(&cfg.Dim, "dim", cfg.Dim, "embedding dimension")
	fs.IntVar(&cfg.Anchors, "anchors", 0, "about how many anchors the pairs yield (0: terms/5)")
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "random seed")
	fs.Float64Var(&cfg.HeldOut, "held-out", cfg.HeldOut, "share of true synonym pairs left out of the pairs file and written to\n"+synth.HeldOutFile+" instead, as ground truth for measuring false negatives")
	fs.StringVar(&dtype, "dtype", "f32", "embedding dtype: f16 or f32")
	fs.BoolVar(&force, "force", false, "replace files that already exist")
	return c
}

func parseDType(s string) (npy.DType, error) {
	switch s {
	case "f16", "float16":
		return npy.Float16, nil
	case "f32", "float32":
		return npy.Float32, nil
	}
	return "", &usageError{fmt.Errorf("--dtype %q: want f16 or f32", s)}
}

func refuseExisting(dir string, force bool, names ...string) error {
	if force {
		return nil
	}
	var exist []string
	for _, n := range names {
		if _, err := os.Lstat(dir + string(os.PathSeparator) + n); err == nil {
			exist = append(exist, n)
		}
	}
	if len(exist) > 0 {
		return fmt.Errorf("%w: %s already holds %s (use --force to replace)", mine.ErrOutputExists, dir, strings.Join(exist, ", "))
	}
	return nil
}

func demoCmd(stdout, stderr io.Writer) *cobra.Command {
	var (
		out   string
		quiet bool
	)
	c := &cobra.Command{
		Use:   "demo [--out DIR]",
		Short: "Make a small synthetic data set and mine it, in seconds",
		Long: `Demo runs the whole job on built-in synthetic data: it writes a small data set
(the same as 'hardneg synth' with its defaults), mines it with the notebook's
settings and the balanced quota, and prints a summary. Without --out it works in
a new temporary folder and prints where.

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				dir, err := os.MkdirTemp("", "hardneg-demo-")
				if err != nil {
					return err
				}
				out = dir
			}
			scfg := synth.DefaultConfig()
			d, err := synth.Generate(scfg)
			if err != nil {
				return err
			}
			if err := d.WriteDir(out); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "synthesised %d terms x %d dims and %d pairs in %s\n", scfg.Terms, scfg.Dim, len(d.Pairs), out)
			cfg := mine.DefaultConfig(out)
			cfg.Force = true
			start := time.Now()
			hooks, err := mineHooks(stderr, quiet, "auto")
			if err != nil {
				return err
			}
			res, err := mine.Run(cmd.Context(), cfg, hooks)
			if err != nil {
				return err
			}
			printSummary(stdout, res, time.Since(start))
			return nil
		},
	}
	c.Flags().StringVarP(&out, "out", "o", "", "folder for the data and the outputs (default: a new temporary folder)")
	c.Flags().BoolVarP(&quiet, "quiet", "q", false, "print only the summary")
	return c
}

// jsonSummary is what --json prints: where every output went and what the
// run produced, for programs that drive the binary.
type jsonSummary struct {
	Out      string            `json:"out"`
	Format   string            `json:"format"`
	Dataset  string            `json:"dataset"`
	JSONL    map[string]string `json:"jsonl"`
	Parquet  map[string]string `json:"parquet,omitempty"`
	Stats    string            `json:"stats"`
	Rows     map[string]int    `json:"rows"`
	Anchors  int               `json:"anchors"`
	Skipped  int               `json:"skipped_anchors"`
	Target   mine.Object       `json:"target_percent"`
	Achieved mine.Object       `json:"achieved_percent"`
	Seconds  float64           `json:"seconds"`
}

func writeJSONSummary(w io.Writer, res *mine.Result, took time.Duration) error {
	abs := func(name string) string {
		p, err := filepath.Abs(filepath.Join(res.OutDir, name))
		if err != nil {
			return filepath.Join(res.OutDir, name)
		}
		return p
	}
	s := res.Stats
	out := jsonSummary{
		Out:      abs("."),
		Format:   s.Format.Format,
		Dataset:  abs(mine.DatasetDir),
		JSONL:    map[string]string{"train": abs(mine.TrainJSONL), "validation": abs(mine.ValJSONL)},
		Stats:    abs(mine.StatsFile),
		Rows:     map[string]int{"train": s.Format.Rows[0], "validation": s.Format.Rows[1]},
		Anchors:  s.Dataset.UniqueAnchors,
		Skipped:  s.Dataset.SkippedAnchors,
		Target:   s.Mix.Target,
		Achieved: s.Mix.Achieved,
		Seconds:  took.Seconds(),
	}
	for _, p := range res.Outputs {
		if filepath.Base(p) == mine.ParquetDir {
			out.Parquet = map[string]string{
				"train":      abs(filepath.Join(mine.ParquetDir, "train-00000-of-00001.parquet")),
				"validation": abs(filepath.Join(mine.ParquetDir, "validation-00000-of-00001.parquet")),
			}
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

func printSummary(w io.Writer, res *mine.Result, took time.Duration) {
	s := res.Stats
	fmt.Fprintf(w, "mined %d anchors (%d without any candidate) into %d triplets: %d train, %d validation, in %s\n",
		s.Dataset.UniqueAnchors, s.Dataset.SkippedAnchors, s.Dataset.TotalTriplets, s.Dataset.TrainTriplets, s.Dataset.ValTriplets,
		took.Round(time.Millisecond))
	fmt.Fprintf(w, "difficulty mix (%s quota):\n", s.Mix.Quota)
	for i, t := range s.Mix.Target {
		a := s.Mix.Achieved[i]
		fmt.Fprintf(w, "  %-8s target %5.1f%%  achieved %5.1f%%  (%v triplets)\n", t.Key, t.Value, a.Value, s.DifficultyDistribution[i].Value)
	}
	fmt.Fprintln(w, "outputs:")
	for _, p := range res.Outputs {
		fmt.Fprintf(w, "  %s\n", p)
	}
}

func reportCmd(stdout io.Writer) *cobra.Command {
	var (
		out string
		opt report.Options
	)
	c := &cobra.Command{
		Use:   "report DIR [--out CHARTS]",
		Short: "Draw PNG charts of a mined data set",
		Long: `Report reads the outputs of 'hardneg mine' in DIR (the two JSONL files and the
stats file) and draws three PNG charts into --out (default DIR/charts):

  similarity.png  the similarity of the sampled negatives, stacked by band
  mix.png         target and achieved share of each band
  positives.png   how many anchors have each number of positives

` + exitCodesHelp,
		Example: `  hardneg report runs/01
  hardneg report runs/01 --out docs --width 800 --height 450`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return &usageError{fmt.Errorf("report wants one folder, the output of 'hardneg mine' (got %d arguments)", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			if out == "" {
				out = filepath.Join(dir, "charts")
			}
			paths, err := report.Write(dir, out, opt)
			if err != nil {
				if errors.Is(err, report.ErrInput) || errors.Is(err, fs.ErrNotExist) {
					return fmt.Errorf("%w: %w", mine.ErrInput, err)
				}
				return err
			}
			for _, p := range paths {
				fmt.Fprintln(stdout, p)
			}
			return nil
		},
	}
	f := c.Flags()
	f.SortFlags = false
	f.StringVarP(&out, "out", "o", "", "folder for the charts (default DIR/charts)")
	f.IntVar(&opt.Width, "width", report.DefaultWidth, "chart width in pixels")
	f.IntVar(&opt.Height, "height", report.DefaultHeight, "chart height in pixels")
	return c
}

func versionCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(*cobra.Command, []string) {
			fmt.Fprintln(stdout, mine.Version())
		},
	}
}
