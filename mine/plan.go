package mine

import (
	"fmt"
	"time"

	"github.com/hardneg/hardneg/internal/sat"

	"github.com/hardneg/hardneg/guard"
	"github.com/hardneg/hardneg/npy"
)

// The cost model: the memory a run or a shard task holds and the time it
// takes, from the sizes of its inputs, the grid it is split into and the
// speeds of the machine. Memory comes from planMemory, the plan every run
// makes before it starts; time adds up the stages a run goes through:
//
//	read   the texts and positives, parsed on one core:
//	       text bytes / TextMBps
//	load   the task's embedding rows read and normalised:
//	       (anchors + positives + corpus rows) x dim x bytes per value / (LoadMBps x cores)
//	scan   every anchor of the task against every corpus row of the task:
//	       anchors x corpus rows x (2 x dim / ScanGFLOPS + SelectNs) / cores,
//	       with ExactGFLOPS for ScanGFLOPS under --exact
//	write  the rows built and written on one core, the chosen documents'
//	       texts read back from the corpus: rows x RowUs + corpus text bytes / TextMBps
//
// A shard task writes a small shard file instead of the rows; the merge
// reads the texts again and writes the rows.

// Speeds are what the cost model knows of a machine, per core.
type Speeds struct {
	// ScanGFLOPS is the scan's multiply-add rate under the int16 screen,
	// in float32-equivalent GFLOP/s per core (2 x dim per pair), the
	// float32 re-checks of its usual share included.
	ScanGFLOPS float64
	// ExactGFLOPS is the rate with --exact, every pair in float32; 0
	// means ScanGFLOPS.
	ExactGFLOPS float64
	// SelectNs is the work per similarity beside the multiply (a band
	// test, a sample or window update now and then), in ns per core.
	SelectNs float64
	// LoadMBps is reading an embedding matrix and normalising its rows,
	// in MB/s of the .npy per core.
	LoadMBps float64
	// TextMBps is parsing JSON Lines or JSON texts, in MB/s on one core.
	TextMBps float64
	// RowUs is building and writing one output row in every format the
	// run asks for, in µs on one core.
	RowUs float64
}

// DefaultSpeeds were measured on a 2-core AMD Zen 3 (AVX2 and FMA) with
// bench/plan-calibrate.sh; the README's cost model section says how to
// measure a machine of your own.
var DefaultSpeeds = Speeds{ScanGFLOPS: 101, ExactGFLOPS: 78, SelectNs: 1.53, LoadMBps: 228, TextMBps: 38, RowUs: 2.16}

// Sizes are what the cost model reads from a run's inputs.
type Sizes struct {
	Queries, Corpus, Dim int       // rows of the two embedding matrices, and their columns
	DType                npy.DType // of the corpus embeddings
	Same                 bool      // the queries are the corpus (the synonym job)
	TextBytes            int64     // the text and positive files a task parses
	CorpusTextBytes      int64     // corpus.jsonl, read again for the chosen documents' texts
	// anchorKeys and positives are each anchor's shard key and number of
	// positives, in anchor order, so that a grid's largest query shard is
	// known exactly.
	anchorKeys []uint64
	positives  []int
	settings   Settings
	// textResident is what the texts a task holds took to read: the term
	// list, or the queries (the run's own inputs.textBytes).
	textResident int64
	// guards is what the guards hold on one thread, and guardsPerThread
	// what each further thread adds (guard.ExcludeBytes is linear in them).
	guards, guardsPerThread int64
}

// Anchors is the number of anchors.
func (z *Sizes) Anchors() int { return len(z.anchorKeys) }

// Positives is the number of (anchor, positive) pairs.
func (z *Sizes) Positives() int {
	n := 0
	for _, p := range z.positives {
		n += p
	}
	return n
}

// ReadSizes reads the inputs of s as a run does (the texts and positives
// parsed, the embeddings' headers checked against them) and returns the
// sizes the cost model needs. The embeddings themselves are not read.
func ReadSizes(s Settings) (*Sizes, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	in, err := readInputsFor(s, Hooks{}, false)
	if err != nil {
		return nil, err
	}
	defer in.close()
	p := in.problem
	z := &Sizes{
		Queries: in.queryEmb.Rows(), Corpus: in.corpusEmb.Rows(), Dim: in.corpusEmb.Cols(), DType: in.corpusEmb.DType(),
		Same: p.Same(), settings: s, textResident: in.textBytes,
		anchorKeys: make([]uint64, len(p.Anchors)), positives: make([]int, len(p.Anchors)),
	}
	for _, f := range inputFiles(s.Inputs) {
		if f != s.Inputs.Embeddings && f != s.Inputs.CorpusEmbeddings && f != s.Inputs.QueryEmbeddings {
			z.TextBytes += fileSize(f)
		}
	}
	if s.Inputs.General() {
		z.CorpusTextBytes = fileSize(s.Inputs.Corpus)
	}
	for i, a := range p.Anchors {
		z.anchorKeys[i] = p.Queries.Hashes()[a.Query]
		z.positives[i] = len(a.Positives)
	}
	comp, err := guard.Components(p)
	if err != nil {
		return nil, err
	}
	z.guards = guard.ExcludeBytes(p, s.Exclude, comp, s.Lexical, 1)
	z.guardsPerThread = guard.ExcludeBytesPerThread(p, s.Lexical)
	return z, nil
}

// TaskEstimate is the cost model's estimate for one task: a whole run, one
// cell of a grid, or a merge.
type TaskEstimate struct {
	Cell                    Cell
	Anchors, Positives      int
	CorpusRows              int
	Triplets                int64
	Memory                  MemoryPlan
	Read, Load, Scan, Write time.Duration
	Total                   time.Duration
}

// Estimate is the cost model's estimate for a grid of N x M tasks (1 x 1:
// one unsharded run).
type Estimate struct {
	N, M    int
	Threads int // cores per task
	// Task is the grid's largest task: the query shard with the most
	// anchors against the largest corpus shard.
	Task TaskEstimate
	// Merge is the merge, for a grid of more than one task.
	Merge *TaskEstimate
	// Wall is the time with every task running at once, then the merge;
	// CPU is the core time of all tasks and the merge together.
	Wall, CPU time.Duration
	// CorpusRead is what all tasks together read of the corpus embeddings:
	// every query shard reads its corpus shard.
	CorpusRead int64
}

// Estimate applies the cost model to an n x m grid of tasks with threads
// cores each and a memory budget per task (0: none).
func (z *Sizes) Estimate(n, m, threads int, budget int64, sp Speeds) (Estimate, error) {
	if n < 1 || m < 1 || threads < 1 {
		return Estimate{}, fmt.Errorf("%w: a grid of %d x %d tasks with %d threads", ErrConfig, n, m, threads)
	}
	// The largest query shard, and its positives.
	anchors, positives := make([]int, n), make([]int, n)
	for i, key := range z.anchorKeys {
		k := shardOfHash(key, n)
		anchors[k]++
		positives[k] += z.positives[i]
	}
	k := 0
	for i := range anchors {
		if anchors[i] > anchors[k] {
			k = i
		}
	}
	lo, hi := corpusPart(z.Corpus, 0, m) // shard 0 is never smaller than the others
	t := z.task(Cell{K: k, N: n, J: 0, M: m}, anchors[k], positives[k], hi-lo, threads, budget, sp)
	if n*m == 1 {
		t.Write = z.writeTime(t.Triplets, sp)
		t.Total += t.Write
	}
	e := Estimate{N: n, M: m, Threads: threads, Task: t}
	e.CPU = time.Duration(float64(t.Total) * float64(threads) * float64(n*m))
	e.Wall = t.Total
	e.CorpusRead = int64(n) * int64(z.Corpus) * int64(z.Dim) * int64(z.DType.Size())
	if n*m > 1 {
		all := z.task(Cell{K: 0, N: 1, J: 0, M: 1}, z.Anchors(), z.Positives(), z.Corpus, threads, budget, sp)
		mg := TaskEstimate{Cell: all.Cell, Anchors: all.Anchors, Positives: all.Positives, CorpusRows: all.CorpusRows, Triplets: all.Triplets}
		mg.Read = seconds(float64(z.TextBytes) / (sp.TextMBps * 1e6))
		mg.Write = z.writeTime(all.Triplets, sp)
		mg.Total = mg.Read + mg.Write
		e.Merge = &mg
		e.Wall += mg.Total
		e.CPU += mg.Total
	}
	return e, nil
}

// task estimates one task of anchors against corpusRows rows.
func (z *Sizes) task(c Cell, anchors, positives, corpusRows, threads int, budget int64, sp Speeds) TaskEstimate {
	s := z.settings
	t := TaskEstimate{Cell: c, Anchors: anchors, Positives: positives, CorpusRows: corpusRows}
	t.Triplets = int64(positives) * int64(s.NegativesPerAnchor)
	ps := problemSize{
		queries: z.Queries, corpus: z.Corpus, cols: z.Dim, same: z.Same, anchors: anchors, positives: positives,
		triplets: t.Triplets, corpusRows: corpusRows, textBytes: z.textResident,
		guards: sat.Add(z.guards, sat.Mul(int64(max(threads, 1)-1), z.guardsPerThread)),
	}
	t.Memory = planMemory(ps, s, threads, budget)
	cores := float64(threads)
	d := float64(z.Dim)
	t.Read = seconds(float64(z.TextBytes) / (sp.TextMBps * 1e6))
	loadBytes := float64(anchors+positives+corpusRows) * d * float64(z.DType.Size())
	t.Load = seconds(loadBytes / (sp.LoadMBps * 1e6 * cores))
	gflops := sp.ScanGFLOPS
	if s.Exact && sp.ExactGFLOPS > 0 {
		gflops = sp.ExactGFLOPS
	}
	perSim := 2*d/(gflops*1e9) + sp.SelectNs*1e-9
	t.Scan = seconds(float64(anchors) * float64(corpusRows) * perSim / cores)
	t.Total = t.Read + t.Load + t.Scan
	return t
}

// writeTime is building and writing the rows, with the chosen documents'
// texts read back from the corpus.
func (z *Sizes) writeTime(triplets int64, sp Speeds) time.Duration {
	return seconds(float64(triplets)*sp.RowUs*1e-6 + float64(z.CorpusTextBytes)/(sp.TextMBps*1e6))
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// Recommend picks the grid for a deadline and a memory budget per task:
// of the grids of at most maxTasks tasks whose largest task fits the
// budget (its fixed part; the corpus streams) and whose wall time, merge
// included, meets the deadline (0: any), the one with the fewest tasks,
// then the least CPU time. It reports false when none does, with the
// fastest grid it tried.
func (z *Sizes) Recommend(threads int, budget int64, deadline time.Duration, maxTasks int, sp Speeds) (Estimate, bool, error) {
	var best, fastest Estimate
	found := false
	for tasks := 1; tasks <= maxTasks; tasks++ {
		for n := 1; n <= tasks; n++ {
			if tasks%n != 0 {
				continue
			}
			m := tasks / n
			if m > max(1, z.Corpus) || n > max(1, z.Anchors()) {
				continue
			}
			e, err := z.Estimate(n, m, threads, budget, sp)
			if err != nil {
				return Estimate{}, false, err
			}
			if fastest.N == 0 || e.Wall < fastest.Wall {
				fastest = e
			}
			if !e.Fits(budget) || deadline > 0 && e.Wall > deadline {
				continue
			}
			if !found || e.CPU < best.CPU {
				best, found = e, true
			}
		}
		if found {
			return best, true, nil
		}
	}
	return fastest, false, nil
}

// Fits reports whether the largest task can run within budget: its fixed
// part and the smallest chunk of the corpus it streams.
func (e Estimate) Fits(budget int64) bool {
	if budget <= 0 {
		return true
	}
	p := e.Task.Memory
	return p.Resident || p.ChunkRows >= min(minChunkRows, e.Task.CorpusRows)
}
