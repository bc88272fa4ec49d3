package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hardneg/hardneg/mine"
	"github.com/hardneg/hardneg/npy"
	"github.com/hardneg/hardneg/source"
	"github.com/hardneg/hardneg/synth"
	"github.com/spf13/cobra"
)

func synthCmd(stdout io.Writer) *cobra.Command {
	var (
		out   string
		cfg   = synth.DefaultConfig()
		bcfg  = synth.DefaultBEIRConfig()
		beir  bool
		dtype string
		force bool
	)
	c := &cobra.Command{
		Use:   "synth --out DIR [--beir] [flags]",
		Short: "Write a synthetic data set shaped like the real inputs (either job)",
		Long: `Synth writes a synthetic data set for either job; the same flags always give the
same bytes.

The synonym job (the default) writes filtered_synonym_pairs.jsonl, term_embeddings.npy and term_list.json
into DIR: Korean-looking terms (with some Hanja, Latin and multi-word terms),
embeddings with topic and sub-cluster structure (random pairs near cosine 0.3,
some anchors with many medium and hard candidates and some with none), synonym
groups of 2 to 10 terms listed in one or both directions, a few out-of-vocabulary
pairs and blank lines. The same flags always give the same bytes.

A share of the true synonym pairs (--held-out) is left out of the pairs file and
written to heldout_synonym_pairs.jsonl: ground truth for measuring how many mined
negatives are unlisted synonyms. It is not an input of 'hardneg mine'.

The seed scale of the real data is --terms 150000 --dim 1024 --anchors 28000.

With --beir it writes queries against a corpus in the BEIR layout: corpus.jsonl
({"_id", "title", "text"}), queries.jsonl, qrels/train.tsv, corpus_embeddings.npy
and query_embeddings.npy ('hardneg mine --beir-dir DIR' reads them). Documents
fall in topics (random pairs near cosine 0.3, same-topic pairs 0.55 to 0.75);
each query has 1 to 3 judged positives at cosines 0.76 to 0.9, and a share of
queries (--held-out) also has relevant documents the qrels do not judge, and
near-copies of a judged positive (cosine 0.96 to 0.995 to it). Those are written
to heldout_qrels.tsv: ground truth for measuring false negatives. The qrels hold
the noise real ones do: judged non-relevant lines, unknown documents, repeats.

` + exitCodesHelp,
		Example: `  hardneg synth --out /tmp/small
  hardneg synth --out /tmp/seed-scale --terms 150000 --dim 1024 --anchors 28000 --dtype f16
  hardneg synth --beir --out /tmp/beir --docs 1000000 --queries 10000 --dim 768 --dtype f16`,
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
			if beir {
				bcfg.DType, bcfg.Seed = dt, cfg.Seed
				if cmd.Flags().Changed("dim") {
					bcfg.Dim = cfg.Dim
				}
				if cmd.Flags().Changed("held-out") {
					bcfg.HeldOut = cfg.HeldOut
				}
				if err := refuseExisting(out, force, synth.BEIRCorpus, synth.BEIRQueries, synth.BEIRQrels, synth.BEIRCorpusEmbeddings, synth.BEIRQueryEmbeddings, synth.BEIRHeldOut); err != nil {
					return err
				}
				d, err := synth.GenerateBEIR(bcfg)
				if err != nil {
					return &usageError{err}
				}
				if err := d.WriteDir(out); err != nil {
					return err
				}
				fmt.Fprintf(stdout, "wrote %d documents and %d queries x %d dims (%s), %d judgements and %d held-out relevant documents to %s\n",
					bcfg.Docs, bcfg.Queries, bcfg.Dim, dtype, len(d.Qrels), len(d.HeldOut), out)
				return nil
			}
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
	fs.BoolVar(&beir, "beir", false, "write queries against a corpus in the BEIR layout instead of the synonym job")
	fs.IntVar(&bcfg.Docs, "docs", bcfg.Docs, "with --beir: corpus size")
	fs.IntVar(&bcfg.Queries, "queries", bcfg.Queries, "with --beir: number of queries")
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "random seed")
	fs.Float64Var(&cfg.HeldOut, "held-out", cfg.HeldOut, "share of true synonym pairs left out of the pairs file and written to\n"+synth.HeldOutFile+" instead, as ground truth for measuring false negatives;\nwith --beir, the share of queries with unjudged relevant documents (default 0.5)")
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
