package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hardneg/hardneg/mine"
)

// Environment variables that carry a batch task's index, read in this order
// by --shard env/N.
var shardIndexEnv = []string{
	"JOB_COMPLETION_INDEX", // Kubernetes Indexed Jobs
	"SLURM_ARRAY_TASK_ID",  // Slurm job arrays
}

// shardFlag is --shard K/N or --shard env/N.
type shardFlag struct {
	spec string
	env  bool // K comes from the environment
	k, n int
}

func (s *shardFlag) String() string { return s.spec }
func (s *shardFlag) Type() string   { return "K/N" }

func (s *shardFlag) Set(v string) error {
	ks, ns, ok := strings.Cut(v, "/")
	n, err := strconv.Atoi(ns)
	if !ok || err != nil || n < 1 {
		return fmt.Errorf("want K/N or env/N with N >= 1, got %q", v)
	}
	*s = shardFlag{spec: v, n: n}
	if ks == "env" {
		s.env = true
		return nil
	}
	k, err := strconv.Atoi(ks)
	if err != nil || k < 0 || k >= n {
		return fmt.Errorf("want K/N with 0 <= K < N, or env/N, got %q", v)
	}
	s.k = k
	return nil
}

// resolve returns K and N, taking K from the environment for env/N.
func (s *shardFlag) resolve(getenv func(string) string) (k, n int, err error) {
	if !s.env {
		return s.k, s.n, nil
	}
	for _, name := range shardIndexEnv {
		v := getenv(name)
		if v == "" {
			continue
		}
		k, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || k < 0 || k >= s.n {
			return 0, 0, &usageError{fmt.Errorf("--shard %s: %s=%q is not a shard index in 0..%d", s.spec, name, v, s.n-1)}
		}
		return k, s.n, nil
	}
	return 0, 0, &usageError{fmt.Errorf("--shard %s: neither %s is set; give --shard K/%d, or run as a Kubernetes Indexed Job or a Slurm array task",
		s.spec, strings.Join(shardIndexEnv, " nor "), s.n)}
}

// runMineShard is `hardneg mine --shard`: it scans one shard and writes its
// shard file.
func runMineShard(ctx context.Context, stderr io.Writer, quiet bool, hooks mine.Hooks, cfg mine.Settings, s *shardFlag) error {
	k, n, err := s.resolve(os.Getenv)
	if err != nil {
		return err
	}
	res, err := mine.RunShard(ctx, cfg, k, n, hooks)
	if err != nil {
		return err
	}
	if !quiet {
		fmt.Fprintf(stderr, "shard %d of %d: %d of %d anchors in %s; merge all %d with 'hardneg merge --out DIR %s'\n",
			res.Shard, res.Shards, res.Anchors, res.TotalAnchors, res.Path, n, cfg.OutDir)
	}
	return nil
}

const shardFlagHelp = `scan only shard K of N (0 <= K < N) and write one shard file into --out
instead of the outputs; 'hardneg merge' turns the N shard files into the outputs.
env/N takes K from JOB_COMPLETION_INDEX (Kubernetes Indexed Job) or
SLURM_ARRAY_TASK_ID (Slurm array), in that order`

func mergeCmd(stdout, stderr io.Writer) *cobra.Command {
	var (
		mc     mine.MergeConfig
		inputs inputFlags
		quiet  bool
	)
	in := newGroup("Inputs, when they moved since the shards were mined")
	inputs.add(in)
	out := newGroup("Output")
	out.fs.StringVarP(&mc.OutDir, "out", "o", "", "output folder")
	out.fs.BoolVar(&mc.Force, "force", false, "replace outputs that already exist")
	out.fs.BoolVar(&mc.AllowEmpty, "allow-empty", false, "write the outputs even when the run produced no rows")
	out.fs.BoolVarP(&quiet, "quiet", "q", false, "print nothing but errors")
	c := &cobra.Command{
		Use:   "merge --out DIR SHARD...",
		Short: "Merge the shard files of a sharded run into the outputs",
		Long: `Merge reads the shard files written by 'hardneg mine --shard K/N' (a folder stands
for every *` + mine.ShardExt + ` file in it; hidden files are never shards), checks that they
are shards 0..N-1 of one run with the same settings and inputs, re-reads the texts
and the positives (the term list and pairs, or the corpus, queries and qrels; never
the embeddings; their SHA-256 must match what the shards recorded) and writes the
outputs into --out exactly as one unsharded 'hardneg mine' with the same settings
would: the files are byte-identical but for the stats file's timings_seconds.
Every setting comes from the shard files.

The inputs are read from the paths the shards recorded, unless the input flags
point elsewhere (a different mount, say).

Missing, duplicate, corrupt or unreadable shard files, shards of different
inputs, and changed texts or positives exit with 3; shards mined with different
settings exit with 2. Nothing is written then.

` + exitCodesHelp,
		Example: `  hardneg merge --out runs/01 runs/01/shards
  hardneg merge --out runs/01 shard-00000-of-00002.hnshard shard-00001-of-00002.hnshard`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return &usageError{errors.New("merge wants the shard files, or a folder holding them")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if mc.OutDir == "" {
				return &usageError{errors.New("give --out DIR")}
			}
			mc.Inputs = inputs.overrides()
			hooks, err := mineHooks(stderr, quiet, "auto")
			if err != nil {
				return err
			}
			start := time.Now()
			res, err := mine.Merge(cmd.Context(), mc, args, hooks)
			if err != nil {
				return err
			}
			if !quiet {
				printSummary(stdout, res, time.Since(start))
			}
			return nil
		},
	}
	addGroups(c, []flagGroup{out, in})
	return c
}
