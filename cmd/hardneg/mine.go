package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hardneg/hardneg/mine"
	"github.com/hardneg/hardneg/split"
)

// mineFlags are the mine command's flags: most bind straight to a
// mine.Settings; the rest say how to run.
type mineFlags struct {
	s           mine.Settings
	inputs      inputFlags
	sel         selectionFlags
	store       string
	maxMemory   string
	batchSize   int
	configFile  string
	printConfig bool
	quiet       bool
	progress    string
	jsonSummary bool
	tasks       taskFlags
	groups      []flagGroup
}

func newMineFlags() *mineFlags { return newRunFlags(false) }

// newRunFlags makes mine's flags; forPlan leaves out those that only say
// how one process runs (task, progress and output-printing flags), so
// that 'hardneg plan' takes a mine command's settings as they are.
func newRunFlags(forPlan bool) *mineFlags {
	f := &mineFlags{s: mine.DefaultSettings(""), tasks: newTaskFlags()}
	f.s.Inputs, f.s.OutDir = mine.Inputs{}, ""
	f.sel.s = &f.s
	in := newGroup("Inputs (the synonym job, or queries against a corpus)")
	f.inputs.add(in)
	out := newGroup("Output")
	out.fs.StringVarP(&f.s.OutDir, "out", "o", "", "output folder (default: the --data-dir; required with a corpus)")
	addFormatFlags(out, &f.s)
	out.fs.BoolVar(&f.s.Force, "force", false, "replace outputs that already exist")
	out.fs.BoolVar(&f.s.AllowEmpty, "allow-empty", false, "write the outputs even when the run produced no rows (otherwise it fails with\nexit code 6 and writes nothing)")
	bands := newGroup("Similarity bands")
	f.sel.addBands(bands)
	choice := newGroup("Choosing negatives")
	f.sel.addChoice(choice)
	guards := newGroup("False-negative guards and score limits")
	f.sel.addGuards(guards)
	guards.fs.StringVar(&f.s.DumpExcluded, "dump-excluded", "", "write every candidate the graph and lexical rules excluded (beyond the anchor and its\npositives) to this JSONL file, one {\"anchor\", \"term\", \"rule\"} line per rule that excluded\nit, as the stats file counts them (the score limits and near-duplicates are only\ncounted); an output like the others (it must not exist without --force, nor be an\ninput or another output)")
	sp := newGroup("Split")
	addSplitFlags(sp, &f.s)
	run := newGroup("Running")
	run.fs.IntVar(&f.s.Threads, "threads", 0, "worker threads (0: all cores); never changes the output")
	run.fs.StringVar(&f.store, "store", "f32", "precision the normalised embeddings are kept in for the scan: 'f32', or 'f16'\nto halve the memory (similarities then move by up to about 1e-3)")
	run.fs.StringVar(&f.maxMemory, "max-memory", "", "memory the run may use, e.g. 8GiB: the corpus is streamed from its .npy in\nchunks that fit, or held whole under --exact when it fits; a run that cannot\nfit is refused (default: the memory the system reports available). The plan\ncounts the guards' lists and indexes, and the lexical variants are measured on\na sample first")
	run.fs.IntVar(&f.batchSize, "batch-size", 128, "the notebook's DataConfig.batch_size, accepted so its settings map one to one;\nit has no effect: the scan sizes its own blocks")
	run.fs.StringVar(&f.configFile, "config", "", "YAML file of settings, keyed by flag name; flags given as well override it, and\nan input folder given (--data-dir, --beir-dir) replaces the file's inputs")
	run.fs.IntVar(&f.s.ChunkRows, "chunk-rows", 0, "stream the corpus this many rows at a time (0: with the int16 screen,\nthe rows it quantises at once, 16,194 at 1024 dimensions; with --exact, the\nwhole corpus when --max-memory allows; else the largest chunks that fit);\nnever changes the output")
	run.fs.BoolVar(&f.s.Exact, "exact", false, "compute every similarity in float32, without the int16 screen that decides most\npairs from a bounded approximation; never changes the output, only the time")
	if !forPlan {
		f.tasks.add(run)
		run.fs.BoolVar(&f.printConfig, "print-config", false, "print the effective settings as YAML for --config, and stop")
		run.fs.BoolVarP(&f.quiet, "quiet", "q", false, "print nothing but errors (and --json's summary, and --progress json's lines)")
		run.fs.StringVar(&f.progress, "progress", "auto", progressHelp)
		run.fs.BoolVar(&f.jsonSummary, "json", false, "print the closing summary on stdout as one JSON object (paths of every output,\nrows per split, target and achieved mix) instead of text")
	}
	f.groups = []flagGroup{in, out, bands, choice, guards, sp, run}
	return f
}

// settings completes the settings from the flags that do not bind directly.
func (f *mineFlags) settings(fs *pflag.FlagSet) (mine.Settings, error) {
	s := f.s
	in, err := f.inputs.inputs()
	if err != nil {
		return s, err
	}
	s.Inputs = in
	if s.OutDir == "" {
		if in.General() {
			return s, &usageError{errors.New("give --out: queries against a corpus write into a folder of their own")}
		}
		s.OutDir = f.inputs.dataDir
		if s.OutDir == "" {
			return s, &usageError{errors.New("give --out (there is no --data-dir to default to)")}
		}
	}
	if err := f.sel.bandsFrom(fs); err != nil {
		return s, err
	}
	s.Bands = f.s.Bands
	if err := splitRatios(fs, &s); err != nil {
		return s, err
	}
	if s.Spec() != nil && s.Spec().Grouped && !fs.Changed("split-by") {
		s.SplitBy = split.ModeAnchor // whole anchors, so grouped rows stay whole
	}
	s.Store = mine.Store(f.store)
	if f.maxMemory != "" {
		n, err := mine.ParseBytes(f.maxMemory)
		if err != nil {
			return s, &usageError{fmt.Errorf("--max-memory: %w", err)}
		}
		s.MaxMemory = n
	}
	if f.batchSize < 1 {
		return s, &usageError{fmt.Errorf("--batch-size %d must be positive", f.batchSize)}
	}
	return s, s.Validate()
}

// splitRatios completes the split: --val-ratio defaults to 1 - --train-ratio
// and the other way round, and two given ratios must sum to 1.
func splitRatios(fs *pflag.FlagSet, s *mine.Settings) error {
	train, val := fs.Changed("train-ratio"), fs.Changed("val-ratio")
	switch {
	case train && !val:
		s.ValRatio = math.Round((1-s.TrainRatio)*1e12) / 1e12
	case val && !train:
		s.TrainRatio = math.Round((1-s.ValRatio)*1e12) / 1e12
	}
	if sum := s.TrainRatio + s.ValRatio; math.Abs(sum-1) > 1e-9 {
		return &usageError{fmt.Errorf("--train-ratio %s and --val-ratio %s must sum to 1, not %s (give one, and the other follows)",
			fmtFloat(s.TrainRatio), fmtFloat(s.ValRatio), fmtFloat(sum))}
	}
	return nil
}

// addGroups adds the groups' flags to the command and lists them by group
// in its help.
func addGroups(c *cobra.Command, groups []flagGroup) {
	for _, g := range groups {
		c.Flags().AddFlagSet(g.fs)
	}
	c.Flags().SortFlags = false
	c.SetHelpFunc(func(c *cobra.Command, _ []string) {
		w := c.OutOrStdout()
		fmt.Fprintf(w, "%s\n\nUsage:\n  %s\n", c.Long, c.UseLine())
		for _, g := range groups {
			fmt.Fprintf(w, "\n%s:\n%s", g.title, g.fs.FlagUsagesWrapped(0))
		}
		fmt.Fprintf(w, "  -h, --help   help for %s\n", c.Name())
		if c.Example != "" {
			fmt.Fprintf(w, "\nExamples:\n%s\n", c.Example)
		}
	})
}

const mineLong = `Mine builds a contrastive training set: for every anchor it computes the exact
cosine similarity to every candidate, keeps the candidates the guards and limits
allow, chooses --negatives-per-anchor of them, and writes one row per positive
and negative (in the --format chosen), shuffled with --seed and split into train
and validation. Two jobs, the same pipeline:

The synonym job (--data-dir DIR): a term list mined against itself.
  DIR/filtered_synonym_pairs.jsonl  one {"source": ..., "target": ...} object per line
  DIR/term_embeddings.npy           an N x D float16/32/64 matrix; row i embeds term i
  DIR/term_list.json                a JSON array of the N terms
  Every pair links its two terms both ways; each linked term is an anchor and its
  partners are its positives; every other term is a candidate.

Queries against a corpus (--beir-dir DIR, or the five files), the BEIR layout:
  corpus.jsonl   {"_id", "title", "text"}; a document reads "title text" in the rows
  queries.jsonl  {"_id", "text"}
  qrels TSV      query-id, corpus-id, score (score > 0: a positive)
  embeddings     one .npy each for the corpus and the queries; row i embeds line i
  Each query with a positive is an anchor; every document but its positives is a
  candidate.

Negatives come from similarity bands in set ratios (the notebook's easy 0.3-0.5,
medium 0.5-0.7, hard 0.7-0.9 by default), or from all candidates with --no-bands;
--range-min/--range-max keep a window of ranks, --sampling orders the candidates,
and the guards keep likely false negatives out. Everything is seeded: the same
inputs and settings give byte-identical outputs for any --threads or --shard.

Outputs go into --out, all at once at the end, so a failed or interrupted run
leaves earlier outputs as they were; a run killed while it moved them into place
is finished by the next run into --out, or by 'hardneg recover'. --force replaces
only what hardneg writes (FORMAT stands for the format's name):

  FORMAT_dataset/              HuggingFace DatasetDict (datasets.load_from_disk);
                               triplet_dataset/ for triplets
  train_*.jsonl, val_*.jsonl   the same rows as JSON Lines, e.g. train_triplets.jsonl:
                               {"anchor", "positive", "negative",
                                "negative_similarity", "difficulty"} per line
  data_preparation_stats.json  settings, counts, target and achieved mix, what each
                               guard removed, inputs' sizes and SHA-256, timings
  data/                        with --parquet: the splits as Parquet (Hub layout)

` + exitCodesHelp

func mineCmd(stdout, stderr io.Writer) *cobra.Command {
	f := newMineFlags()
	c := &cobra.Command{
		Use:   "mine (--data-dir DIR | --beir-dir DIR --out OUT) [flags]",
		Short: "Mine hard negatives: a term list against itself, or queries against a corpus",
		Long:  mineLong,
		Example: `  hardneg mine --data-dir data/v21.3
  hardneg mine --data-dir data/v21.3 --out runs/01 --hard-range 0.7,0.85 --seed 7
  hardneg mine --pairs p.jsonl --embeddings e.npy --terms t.json --out runs/02 --quota notebook
  hardneg mine --beir-dir beir/nq --out runs/nq --no-bands --range-max 50 --sampling top \
      --relative-margin 0.05 --exclude-near-duplicates 0.95 --format n-tuple
  hardneg mine --data-dir data/v21.3 --seed 7 --print-config > run.yaml
  hardneg mine --config run.yaml --out runs/03
  hardneg mine --data-dir data/v21.3 --out runs/04/shards --shard env/7   # then: hardneg merge --out runs/04 runs/04/shards`,
		Args: noArgs("mine"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.configFile != "" {
				if err := applyConfig(cmd.Flags(), f.configFile); err != nil {
					return err
				}
			}
			s, err := f.settings(cmd.Flags())
			if err != nil {
				return err
			}
			if f.printConfig {
				return printMineConfig(stdout, cmd.Flags(), f)
			}
			if f.tasks.set() && s.DumpExcluded != "" {
				return fmt.Errorf("%w: --dump-excluded needs every anchor's exclusions in one process: run it without --shard", mine.ErrConfig)
			}
			// Bad flags first (exit 2), then missing inputs (exit 3).
			if err := f.inputs.checkFolders(s.Inputs); err != nil {
				return err
			}
			hooks, err := mineHooks(stderr, f.quiet, f.progress)
			if err != nil {
				return err
			}
			if s.MaxMemory > 0 {
				// The run plans its memory to fit; the garbage collector
				// must then keep the heap within it too, not let it grow
				// to twice what is live.
				debug.SetMemoryLimit(s.MaxMemory)
			}
			if f.tasks.set() {
				return runMineShard(cmd.Context(), stderr, f.quiet, hooks, s, &f.tasks)
			}
			start := time.Now()
			res, err := mine.Run(cmd.Context(), s, hooks)
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
	addGroups(c, f.groups)
	return c
}

// printMineConfig prints the effective settings, with absolute paths so the
// file works from any folder.
func printMineConfig(w io.Writer, fs *pflag.FlagSet, f *mineFlags) error {
	for _, name := range []string{"data-dir", "beir-dir", "pairs", "embeddings", "terms", "corpus", "corpus-embeddings", "queries", "query-embeddings", "qrels", "out"} {
		fl := fs.Lookup(name)
		if fl == nil || fl.Value.String() == "" {
			continue
		}
		abs, err := filepath.Abs(fl.Value.String())
		if err != nil {
			return err
		}
		if err := fs.Set(name, abs); err != nil {
			return err
		}
	}
	return printConfig(w, fs)
}

// noArgs refuses positional arguments with a hint: a folder given without
// its flag is the commonest slip.
func noArgs(cmd string) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) == 0 {
			return nil
		}
		return &usageError{fmt.Errorf("%s takes no arguments, got %q; to name a data folder, use --data-dir %s (or --beir-dir for a corpus)", cmd, args[0], args[0])}
	}
}
