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
// by --shard env/N and --grid env/NxM.
var shardIndexEnv = []string{
	"JOB_COMPLETION_INDEX", // Kubernetes Indexed Jobs
	"SLURM_ARRAY_TASK_ID",  // Slurm job arrays
}

// taskFlag is one of the flags that name a task of a sharded run:
// --shard K/N or env/N, --corpus-shard J/M, and --grid I/NxM or env/NxM.
// A task index I of a grid is query shard I / M against corpus shard I % M.
type taskFlag struct {
	name  string // the flag's name
	grid  bool   // the count reads NxM
	noEnv bool   // env/... is refused
	spec  string
	env   bool // the index comes from the environment
	i     int  // the index, unless env
	n, m  int  // the count is n, or n*m for a grid
}

func (t *taskFlag) String() string { return t.spec }

func (t *taskFlag) Type() string {
	switch {
	case t.grid:
		return "I/NxM"
	case t.noEnv:
		return "J/M"
	}
	return "K/N"
}

func (t *taskFlag) count() int {
	if t.grid {
		return t.n * t.m
	}
	return t.n
}

func (t *taskFlag) Set(v string) error {
	want := func() error {
		switch {
		case t.grid:
			return fmt.Errorf("want I/NxM (0 <= I < N*M) or env/NxM, with N, M >= 1, got %q", v)
		case t.noEnv:
			return fmt.Errorf("want J/M with 0 <= J < M, got %q", v)
		}
		return fmt.Errorf("want K/N (0 <= K < N) or env/N, got %q", v)
	}
	is, cs, ok := strings.Cut(v, "/")
	if !ok {
		return want()
	}
	u := taskFlag{name: t.name, grid: t.grid, noEnv: t.noEnv, spec: v, m: 1}
	var err error
	if t.grid {
		if u.n, u.m, ok = parseGrid(cs); !ok {
			return want()
		}
	} else if u.n, err = strconv.Atoi(cs); err != nil || u.n < 1 || u.n > maxShards {
		return want()
	}
	if is == "env" && !t.noEnv {
		u.env = true
	} else if u.i, err = strconv.Atoi(is); err != nil || u.i < 0 || u.i >= u.count() {
		return want()
	}
	*t = u
	return nil
}

// maxShards bounds N and M, as shard files do.
const maxShards = 1 << 20

// parseGrid reads NxM (x or X), with 1 <= N, M <= maxShards.
func parseGrid(v string) (n, m int, ok bool) {
	ns, ms, cut := strings.Cut(strings.ToLower(v), "x")
	n, err1 := strconv.Atoi(ns)
	m, err2 := strconv.Atoi(ms)
	if !cut || err1 != nil || err2 != nil || n < 1 || m < 1 || n > maxShards || m > maxShards {
		return 0, 0, false
	}
	return n, m, true
}

// index returns the task index, from the environment for env/....
func (t *taskFlag) index(getenv func(string) string) (int, error) {
	if !t.env {
		return t.i, nil
	}
	for _, name := range shardIndexEnv {
		v := getenv(name)
		if v == "" {
			continue
		}
		i, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || i < 0 || i >= t.count() {
			return 0, &usageError{fmt.Errorf("--%s %s: %s=%q is not a task index in 0..%d", t.name, t.spec, name, v, t.count()-1)}
		}
		return i, nil
	}
	return 0, &usageError{fmt.Errorf("--%s %s: neither %s is set; give the index by hand, or run as a Kubernetes Indexed Job or a Slurm array task",
		t.name, t.spec, strings.Join(shardIndexEnv, " nor "))}
}

// taskFlags are the three flags that make a mine run one task of a
// sharded run.
type taskFlags struct {
	shard, corpus, grid taskFlag
}

func newTaskFlags() taskFlags {
	return taskFlags{
		shard:  taskFlag{name: "shard"},
		corpus: taskFlag{name: "corpus-shard", noEnv: true},
		grid:   taskFlag{name: "grid", grid: true},
	}
}

func (f *taskFlags) add(g flagGroup) {
	g.fs.Var(&f.shard, "shard", shardFlagHelp)
	g.fs.Var(&f.corpus, "corpus-shard", corpusShardFlagHelp)
	g.fs.Var(&f.grid, "grid", gridFlagHelp)
}

// set reports whether any of the flags was given.
func (f *taskFlags) set() bool { return f.shard.spec != "" || f.corpus.spec != "" || f.grid.spec != "" }

// cell resolves the flags into the task's cell.
func (f *taskFlags) cell(getenv func(string) string) (mine.Cell, error) {
	if f.grid.spec != "" {
		if f.shard.spec != "" || f.corpus.spec != "" {
			return mine.Cell{}, &usageError{errors.New("--grid names the whole task: give it without --shard and --corpus-shard")}
		}
		i, err := f.grid.index(getenv)
		if err != nil {
			return mine.Cell{}, err
		}
		return mine.Cell{K: i / f.grid.m, N: f.grid.n, J: i % f.grid.m, M: f.grid.m}, nil
	}
	c := mine.Cell{K: 0, N: 1, J: 0, M: 1}
	if f.shard.spec != "" {
		k, err := f.shard.index(getenv)
		if err != nil {
			return c, err
		}
		c.K, c.N = k, f.shard.n
	}
	if f.corpus.spec != "" {
		c.J, c.M = f.corpus.i, f.corpus.n
	}
	return c, nil
}

// runMineShard is `hardneg mine --shard/--corpus-shard/--grid`: it scans
// one cell and writes its shard file.
func runMineShard(ctx context.Context, stderr io.Writer, quiet bool, hooks mine.Hooks, cfg mine.Settings, f *taskFlags) error {
	c, err := f.cell(os.Getenv)
	if err != nil {
		return err
	}
	res, err := mine.RunShard(ctx, cfg, c, hooks)
	if err != nil {
		return err
	}
	if !quiet {
		fmt.Fprintf(stderr, "%s: %d of %d anchors against %d corpus rows in %s; merge all %d with 'hardneg merge --out DIR %s'\n",
			res.Cell, res.Anchors, res.TotalAnchors, res.CorpusRows, res.Path, c.N*c.M, cfg.OutDir)
	}
	return nil
}

const shardFlagHelp = `scan only query shard K of N (0 <= K < N) and write one shard file into --out
instead of the outputs; 'hardneg merge' turns the shard files into the outputs.
env/N takes K from JOB_COMPLETION_INDEX (Kubernetes Indexed Job) or
SLURM_ARRAY_TASK_ID (Slurm array), in that order`

const corpusShardFlagHelp = `scan only corpus shard J of M (0 <= J < M, a contiguous M-th of the corpus
rows), so that a task reads only its part of the corpus embeddings; with --shard
it makes a grid of N x M tasks, all of which 'hardneg merge' wants`

const gridFlagHelp = `run task I of an N x M grid (0 <= I < N*M): query shard I/M (rounded down) of
N against corpus shard I%M of M; env/NxM takes I from the environment as
--shard env/N does, so one job array of N*M tasks covers the grid`

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
