package main

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/hardneg/hardneg/mine"
	"github.com/hardneg/hardneg/npy"
)

// gridSize is plan's --grid NxM.
type gridSize struct{ n, m int }

func (g *gridSize) String() string {
	if g.n == 0 {
		return ""
	}
	return fmt.Sprintf("%dx%d", g.n, g.m)
}
func (g *gridSize) Type() string { return "NxM" }
func (g *gridSize) Set(v string) error {
	n, m, ok := parseGrid(v)
	if !ok {
		return fmt.Errorf("want NxM with N, M >= 1 (query shards x corpus shards), got %q", v)
	}
	g.n, g.m = n, m
	return nil
}

// speedsFlag is plan's --speeds key=value,...
type speedsFlag struct {
	sp   mine.Speeds
	spec string
}

func (f *speedsFlag) String() string { return f.spec }
func (f *speedsFlag) Type() string   { return "KEY=V,..." }
func (f *speedsFlag) Set(v string) error {
	for _, kv := range strings.Split(v, ",") {
		k, vs, ok := strings.Cut(strings.TrimSpace(kv), "=")
		x, err := strconv.ParseFloat(vs, 64)
		if !ok || err != nil || x <= 0 {
			return fmt.Errorf("want key=value pairs with positive values, got %q", kv)
		}
		switch k {
		case "scan-gflops":
			f.sp.ScanGFLOPS = x
		case "exact-gflops":
			f.sp.ExactGFLOPS = x
		case "select-ns":
			f.sp.SelectNs = x
		case "load-mbps":
			f.sp.LoadMBps = x
		case "text-mbps":
			f.sp.TextMBps = x
		case "row-us":
			f.sp.RowUs = x
		default:
			return fmt.Errorf("unknown speed %q: want scan-gflops, exact-gflops, select-ns, load-mbps, text-mbps or row-us", k)
		}
	}
	f.spec = v
	return nil
}

func planCmd(stdout io.Writer) *cobra.Command {
	f := newRunFlags(true)
	var (
		grid     gridSize
		deadline time.Duration
		maxTasks int
		speeds   = speedsFlag{sp: mine.DefaultSpeeds}
		asJSON   bool
	)
	pl := newGroup("Plan")
	pl.fs.Var(&grid, "grid", "estimate this grid of query shards x corpus shards as well, e.g. 4x2")
	pl.fs.DurationVar(&deadline, "deadline", 0, "recommend the grid with the fewest tasks that finishes within this wall time,\nevery task running at once, merge included, e.g. 2h")
	pl.fs.IntVar(&maxTasks, "max-tasks", 256, "the most tasks a recommended grid may have")
	pl.fs.Var(&speeds, "speeds", "the machine's speeds per core, where they differ from the defaults measured on a\n2-core Zen 3 (see the README's cost model): scan-gflops (under the int16 screen),\nexact-gflops (with --exact), select-ns, load-mbps, text-mbps, row-us, e.g.\nscan-gflops=120,load-mbps=900")
	pl.fs.BoolVar(&asJSON, "json", false, "print the estimates as one JSON object")
	groups := append(slices.Clone(f.groups), pl)
	c := &cobra.Command{
		Use:   "plan (--data-dir DIR | --beir-dir DIR) [mine's flags] [--grid NxM] [--deadline D]",
		Short: "Estimate a run's memory and time, and recommend a shard grid for a budget and a deadline",
		Long: `Plan reads the inputs as 'hardneg mine' would with the same flags (the texts and
positives parsed, the embeddings' headers checked, the embeddings themselves not
read) and prints what the cost model predicts: the memory a task holds and how
long it takes, stage by stage, for one unsharded run and for grids of N query
shards x M corpus shards (--shard K/N --corpus-shard J/M, or --grid I/NxM on mine).

--threads is the cores each task gets (default: this machine's), --max-memory the
memory each task may use (default: what this machine has available). With
--deadline, plan recommends the grid with the fewest tasks whose wall time, every
task running at once and the merge after them, meets it; grids whose tasks cannot
fit --max-memory even streaming the corpus are never recommended.

The model and the measurements behind its speeds are in the README's cost model
section; --speeds sets them for another machine. Plan writes nothing.`,
		Example: `  hardneg plan --beir-dir beir/msmarco --max-memory 16GiB --threads 8 --deadline 2h
  hardneg plan --data-dir data/v21.3 --grid 4x1
  hardneg plan --config run.yaml --json`,
		Args: noArgs("plan"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.configFile != "" {
				if err := applyConfig(cmd.Flags(), f.configFile); err != nil {
					return err
				}
			}
			if f.s.OutDir == "" {
				f.s.OutDir = "plan" // never written; mine wants one
			}
			s, err := f.settings(cmd.Flags())
			if err != nil {
				return err
			}
			threads := s.Threads
			if threads == 0 {
				threads = runtime.GOMAXPROCS(0)
			}
			budget, from := s.MaxMemory, "--max-memory"
			if budget == 0 {
				budget, from = mine.AvailableMemory(), "this machine's available memory"
			}
			z, err := mine.ReadSizes(s)
			if err != nil {
				return err
			}
			grids := [][2]int{{1, 1}}
			for _, g := range [][2]int{{grid.n, grid.m}, {2, 1}, {4, 1}, {1, 4}, {4, 4}} {
				if g[0] > 0 && !slices.Contains(grids, g) && (g == [2]int{grid.n, grid.m} || g[0] <= max(1, z.Anchors()) && g[1] <= max(1, z.Corpus)) {
					grids = append(grids, g)
				}
			}
			var ests []mine.Estimate
			for _, g := range grids {
				e, err := z.Estimate(g[0], g[1], threads, budget, speeds.sp)
				if err != nil {
					return err
				}
				ests = append(ests, e)
			}
			var rec *mine.Estimate
			recOK := false
			if deadline > 0 {
				r, ok, err := z.Recommend(threads, budget, deadline, maxTasks, speeds.sp)
				if err != nil {
					return err
				}
				rec, recOK = &r, ok
			}
			if asJSON {
				return writePlanJSON(stdout, z, s, threads, budget, speeds.sp, ests, rec, recOK, deadline)
			}
			printPlan(stdout, z, s, threads, budget, from, speeds.sp, ests, rec, recOK, deadline)
			return nil
		},
	}
	addGroups(c, groups)
	return c
}

func printPlan(w io.Writer, z *mine.Sizes, s mine.Settings, threads int, budget int64, from string, sp mine.Speeds,
	ests []mine.Estimate, rec *mine.Estimate, recOK bool, deadline time.Duration) {
	unit := "terms"
	if !z.Same {
		unit = "documents"
	}
	elem := int64(z.DType.Size())
	fmt.Fprintf(w, "inputs: %d anchors (%d positives) of %d queries, against %d %s x %d (%s, %s on disk); texts %s\n",
		z.Anchors(), z.Positives(), z.Queries, z.Corpus, unit, z.Dim, map[npy.DType]string{npy.Float16: "float16", npy.Float32: "float32", npy.Float64: "float64"}[z.DType],
		mine.FormatBytes(int64(z.Corpus)*int64(z.Dim)*elem), mine.FormatBytes(z.TextBytes))
	scanRate, scanKind := sp.ScanGFLOPS, "screened"
	if s.Exact {
		scanKind = "exact"
		if sp.ExactGFLOPS > 0 {
			scanRate = sp.ExactGFLOPS
		}
	}
	fmt.Fprintf(w, "model:  %d cores a task, %s a task (%s); per core: scan (%s) %.0f GFLOP/s + %.2f ns a similarity, load %.0f MB/s, texts %.0f MB/s, %.1f µs a row\n\n",
		threads, mine.FormatBytes(budget), from, scanKind, scanRate, sp.SelectNs, sp.LoadMBps, sp.TextMBps, sp.RowUs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "grid\ttasks\tanchors/task\tcorpus rows/task\tmemory/task\tcorpus\ttime/task\tmerge\twall\tcore-hours\t")
	row := func(e mine.Estimate, mark string) {
		t := e.Task
		corpus := "whole"
		if !t.Memory.Resident {
			corpus = fmt.Sprintf("%d-row chunks", t.Memory.ChunkRows)
		}
		merge := "-"
		if e.Merge != nil {
			merge = dur(e.Merge.Total)
		}
		fmt.Fprintf(tw, "%s%dx%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%.2f\t\n", mark, e.N, e.M, e.N*e.M, t.Anchors, t.CorpusRows,
			mine.FormatBytes(t.Memory.Total), corpus, dur(t.Total), merge, dur(e.Wall), e.CPU.Hours())
	}
	for _, e := range ests {
		row(e, "")
	}
	if rec != nil {
		row(*rec, "* ")
	}
	tw.Flush()
	one := ests[0].Task
	fmt.Fprintf(w, "\none run: read %s, load %s, scan %s, write %s; memory %s fixed + %s of corpus matrix (%s whole)\n",
		dur(one.Read), dur(one.Load), dur(one.Scan), dur(one.Write),
		mine.FormatBytes(one.Memory.Fixed), mine.FormatBytes(one.Memory.Total-one.Memory.Fixed), mine.FormatBytes(one.Memory.CorpusMatrix))
	for _, e := range ests {
		if !e.Fits(budget) {
			fmt.Fprintf(w, "%dx%d: a task holds %s whatever the corpus size, more than %s: shard the queries further\n",
				e.N, e.M, mine.FormatBytes(e.Task.Memory.Fixed), mine.FormatBytes(budget))
		}
	}
	switch {
	case rec == nil:
	case recOK:
		fmt.Fprintf(w, "* recommended for --deadline %s: --grid I/%dx%d, an array of %d tasks of %d cores and %s each, about %s in all\n",
			deadline, rec.N, rec.M, rec.N*rec.M, threads, mine.FormatBytes(rec.Task.Memory.Total), dur(rec.Wall))
	default:
		fmt.Fprintf(w, "* no grid of at most the --max-tasks meets --deadline %s; the fastest, %dx%d, takes about %s\n",
			deadline, rec.N, rec.M, dur(rec.Wall))
	}
}

// dur spells a duration for the table: 45s, 12m30s, 3h05m.
func dur(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%.0fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

func writePlanJSON(w io.Writer, z *mine.Sizes, s mine.Settings, threads int, budget int64, sp mine.Speeds,
	ests []mine.Estimate, rec *mine.Estimate, recOK bool, deadline time.Duration) error {
	type task struct {
		Anchors     int     `json:"anchors"`
		CorpusRows  int     `json:"corpus_rows"`
		MemoryBytes int64   `json:"memory_bytes"`
		Resident    bool    `json:"corpus_resident"`
		ChunkRows   int     `json:"chunk_rows"`
		Read        float64 `json:"read_seconds"`
		Load        float64 `json:"load_seconds"`
		Scan        float64 `json:"scan_seconds"`
		Write       float64 `json:"write_seconds"`
		Seconds     float64 `json:"seconds"`
	}
	type grid struct {
		N            int     `json:"query_shards"`
		M            int     `json:"corpus_shards"`
		Task         task    `json:"largest_task"`
		MergeSeconds float64 `json:"merge_seconds,omitempty"`
		WallSeconds  float64 `json:"wall_seconds"`
		CoreHours    float64 `json:"core_hours"`
		Fits         bool    `json:"fits_memory"`
	}
	conv := func(e mine.Estimate) grid {
		t := e.Task
		g := grid{N: e.N, M: e.M, WallSeconds: e.Wall.Seconds(), CoreHours: e.CPU.Hours(), Fits: e.Fits(budget), Task: task{
			Anchors: t.Anchors, CorpusRows: t.CorpusRows, MemoryBytes: t.Memory.Total, Resident: t.Memory.Resident, ChunkRows: t.Memory.ChunkRows,
			Read: t.Read.Seconds(), Load: t.Load.Seconds(), Scan: t.Scan.Seconds(), Write: t.Write.Seconds(), Seconds: t.Total.Seconds(),
		}}
		if e.Merge != nil {
			g.MergeSeconds = e.Merge.Total.Seconds()
		}
		return g
	}
	out := map[string]any{
		"anchors": z.Anchors(), "positives": z.Positives(), "queries": z.Queries, "corpus": z.Corpus, "dim": z.Dim,
		"text_bytes": z.TextBytes, "corpus_text_bytes": z.CorpusTextBytes,
		"dtype": z.DType, "threads": threads, "memory_budget_bytes": budget,
		"speeds": map[string]float64{"scan_gflops": sp.ScanGFLOPS, "exact_gflops": sp.ExactGFLOPS, "select_ns": sp.SelectNs, "load_mbps": sp.LoadMBps, "text_mbps": sp.TextMBps, "row_us": sp.RowUs},
	}
	var gs []grid
	for _, e := range ests {
		gs = append(gs, conv(e))
	}
	out["grids"] = gs
	if rec != nil {
		out["deadline_seconds"] = deadline.Seconds()
		out["recommended"] = conv(*rec)
		out["meets_deadline"] = recOK
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
