package mine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/hardneg/hardneg/guard"
	"github.com/hardneg/hardneg/output"
	"github.com/hardneg/hardneg/scan"
	"github.com/hardneg/hardneg/shardfile"
	"github.com/hardneg/hardneg/source"
)

// Sharded runs split the anchors: RunShard scans the anchors of one shard
// against the whole corpus and writes a shard file (package shardfile);
// Merge reads every shard file of a run, puts the per-anchor state back in
// the problem's anchor order and finishes exactly as Run does. An anchor's
// band counts, samples, window, guard counts and positive similarities do
// not depend on which other anchors are scanned beside it, so the merged
// outputs are byte-identical to one Run with the same settings
// (timings_seconds in the stats file excepted).

// ShardExt ends the name of every shard file.
const ShardExt = shardfile.Ext

// Cell is one task of a sharded run: query shard K of N against corpus
// shard J of M. A run sharded by queries alone has M = 1.
type Cell struct{ K, N, J, M int }

func (c Cell) String() string {
	if c.M == 1 {
		return fmt.Sprintf("shard %d of %d", c.K, c.N)
	}
	return fmt.Sprintf("cell (%d, %d) of %d x %d (query shard %d of %d, corpus shard %d of %d)", c.K, c.J, c.N, c.M, c.K, c.N, c.J, c.M)
}

func (c Cell) valid() bool {
	return c.N >= 1 && c.M >= 1 && c.K >= 0 && c.K < c.N && c.J >= 0 && c.J < c.M
}

// ShardFileName is the name RunShard gives query shard k of n (the whole
// corpus).
func ShardFileName(k, n int) string { return Cell{K: k, N: n, J: 0, M: 1}.FileName() }

// FileName is the name RunShard gives the cell's shard file.
func (c Cell) FileName() string {
	if c.M == 1 {
		return fmt.Sprintf("shard-%05d-of-%05d%s", c.K, c.N, ShardExt)
	}
	return fmt.Sprintf("shard-q%05d-of-%05d-c%05d-of-%05d%s", c.K, c.N, c.J, c.M, ShardExt)
}

// ShardOf is the shard, of n, that scans the query with this id: the
// FNV-1a hash of the id's UTF-8 bytes (for a term list, the term), mixed
// (splitmix64's finaliser) so that every bit counts, modulo n. It depends
// on the id alone, so the partition is the same on every machine and for
// any order of the files.
func ShardOf(id string, n int) int { return shardOfHash(IDHash(id), n) }

// shardOfHash is ShardOf for an id already hashed (source.Side.Hashes).
func shardOfHash(h uint64, n int) int { return int(scan.Mix(h) % uint64(n)) }

// ShardResult is what RunShard wrote.
type ShardResult struct {
	Path         string // the shard file
	Cell         Cell
	Anchors      int // anchors in this shard
	TotalAnchors int // anchors in the whole problem
	CorpusRows   int // corpus rows this cell scanned
}

// shardHeader is a shard file's JSON header.
type shardHeader struct {
	Shard        int               `json:"shard"`
	Shards       int               `json:"shards"`
	CorpusShard  int               `json:"corpus_shard"`
	CorpusShards int               `json:"corpus_shards"`
	Settings     Settings          `json:"settings"`
	Inputs       InputStats        `json:"inputs"`
	Pairs        *source.PairStats `json:"pairs,omitempty"`
	Qrels        *source.QrelStats `json:"qrels,omitempty"`
	Queries      int               `json:"queries"`
	Corpus       int               `json:"corpus"`
	Anchors      int               `json:"anchors"`
	Tool         string            `json:"tool"`
}

func (h *shardHeader) cell() Cell {
	return Cell{K: h.Shard, N: h.Shards, J: h.CorpusShard, M: h.CorpusShards}
}

// layout is what the header's settings and sizes let a record hold.
func (h *shardHeader) layout() shardfile.Layout {
	s := h.Settings
	l := shardfile.Layout{
		Keep: s.keep(), Guards: nGuards,
		Anchors: h.Anchors, Queries: h.Queries, Corpus: h.Corpus,
		Window: max(s.RangeMin, s.RangeMax),
	}
	if s.RangeMax == 0 {
		l.Bands = len(s.bands())
	}
	return l
}

// RunShard reads the inputs as Run does, scans only the anchors of query
// shard c.K of c.N (see ShardOf) against corpus shard c.J of c.M (a
// contiguous part of the rows), and writes their per-anchor state into the
// shard file c.FileName() in s.OutDir, through a temporary name that no
// merge picks up. Such a task reads only its own rows of the two matrices.
// Without s.Force an existing shard file is refused before anything is
// read.
func RunShard(ctx context.Context, s Settings, c Cell, hooks Hooks) (*ShardResult, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if !c.valid() {
		return nil, fmt.Errorf("%w: shard %d of %d, corpus shard %d of %d: want 0 <= K < N and 0 <= J < M", ErrConfig, c.K, c.N, c.J, c.M)
	}
	k, n := c.K, c.N
	if s.DumpExcluded != "" {
		return nil, fmt.Errorf("%w: --dump-excluded needs every anchor's exclusions in one process: run it without --shard", ErrConfig)
	}
	threads := s.Threads
	if threads == 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	path := filepath.Join(s.OutDir, c.FileName())
	if fi, err := os.Stat(s.OutDir); err == nil && !fi.IsDir() {
		return nil, fmt.Errorf("%w: output folder %s is a file", ErrConfig, s.OutDir)
	}
	// What killed tasks left goes first, so that it neither piles up nor
	// hides a missing shard.
	rec, err := output.Recover(s.OutDir)
	for _, line := range rec {
		hooks.warnf("%s: %s", s.OutDir, line)
	}
	if err != nil {
		return nil, err
	}
	if _, err := os.Lstat(path); err == nil && !s.Force {
		return nil, fmt.Errorf("%w: %s already exists (use --force to replace)", ErrOutputExists, path)
	}

	tm := newTimer()
	in, err := readInputs(s, hooks)
	if err != nil {
		return nil, err
	}
	defer in.close()
	tm.stage("read_terms_and_pairs", tm.start)
	p := in.problem
	sel := []int{} // nil would mean every anchor
	hashes := p.Queries.Hashes()
	for i, a := range p.Anchors {
		if shardOfHash(hashes[a.Query], n) == k {
			sel = append(sel, i)
		}
	}
	hooks.logf("%s: %d of %d anchors", c, len(sel), len(p.Anchors))
	sc, err := scanAnchors(ctx, s, in, sel, c.J, c.M, threads, hooks, tm)
	if err != nil {
		return nil, err
	}
	inputs, err := in.inputStats()
	if err != nil {
		return nil, err
	}
	h := shardHeader{
		Shard: k, Shards: n, CorpusShard: c.J, CorpusShards: c.M, Settings: s, Inputs: inputs, Pairs: in.pairs, Qrels: in.qrels,
		Queries: p.Queries.Len(), Corpus: p.Corpus.Len(), Anchors: len(p.Anchors), Tool: Version(),
	}
	hdr, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("encode shard header: %w", err)
	}
	records := make([]shardfile.Record, len(sel))
	for i, a := range sel {
		g := sc.guards[a]
		records[i] = shardfile.Record{
			Anchor: uint32(a), Query: uint32(p.Anchors[a].Query), Result: sc.results[a],
			PositiveSims: sc.posSims[a], Guards: g[:],
		}
	}
	data, err := shardfile.Encode(hdr, h.layout(), records)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := writeAtomic(path, data); err != nil {
		return nil, err
	}
	hooks.logf("wrote %s (%d anchors, %s) in %s", path, len(sel), FormatBytes(int64(len(data))), since(tm.start))
	lo, hi := corpusPart(p.Corpus.Len(), c.J, c.M)
	return &ShardResult{Path: path, Cell: c, Anchors: len(sel), TotalAnchors: len(p.Anchors), CorpusRows: hi - lo}, nil
}

// testHookBeforeRename, when a test sets it, runs between writing a shard
// file's temporary copy and renaming it into place.
var testHookBeforeRename func()

// writeAtomic writes data to a temporary file beside path and renames it
// into place, so path never holds part of a file. The temporary name is
// hidden and does not end in ShardExt, so a merge never takes it for a
// shard; it stays locked while it is written, so that the next run into
// the folder removes it only if this one was killed.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("%w: output folder %s cannot be created: %w", ErrConfig, dir, err)
	}
	f, err := output.CreatePartial(dir)
	if err != nil {
		return fmt.Errorf("%w: output folder %s cannot be written: %w", ErrConfig, dir, err)
	}
	_, err = f.Write(data)
	if err == nil && testHookBeforeRename != nil {
		testHookBeforeRename()
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
	} else {
		err = output.CommitPartial(f, path)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// MergeConfig says where Merge writes and, optionally, where it finds the
// texts and positives when they moved since the shards were mined. Every
// setting of the run comes from the shard files.
type MergeConfig struct {
	OutDir string
	// Inputs, where set, are read instead of the paths the shards recorded;
	// their SHA-256 must still match. The embeddings are never read. The
	// stats file records the inputs as the shards read them.
	Inputs Inputs
	// Force lets the merge replace outputs that already exist.
	Force bool
	// AllowEmpty writes empty outputs rather than fail with ErrEmpty.
	AllowEmpty bool
}

// shard is one shard file read back.
type shard struct {
	path    string
	header  shardHeader
	records []shardfile.Record
}

// Merge reads the shard files at paths (a folder stands for every
// *.hnshard file in it, hidden files aside), checks that they are shards
// 0..N-1 of one run with the same settings and inputs, re-reads the texts
// and the positives (not the embeddings) and checks them against the
// shards' SHA-256, and writes the outputs into mc.OutDir exactly as Run
// would have.
//
// Shards that disagree on settings (or on N) are ErrConfig; a missing,
// duplicate, corrupt or unreadable shard, shards of different inputs, and
// texts or positives that changed are ErrInput. On any error the output
// folder is left as it was.
func Merge(ctx context.Context, mc MergeConfig, paths []string, hooks Hooks) (*Result, error) {
	if mc.OutDir == "" {
		return nil, fmt.Errorf("%w: no output path", ErrConfig)
	}
	tm := newTimer()
	files, err := expandShardPaths(paths)
	if err != nil {
		return nil, err
	}
	shards, err := readShards(files)
	if err != nil {
		return nil, err
	}
	h := shards[0].header
	s := h.Settings
	s.Inputs = recordedInputs(h.Inputs)
	override(&s.Inputs, mc.Inputs)
	s.OutDir, s.Force, s.AllowEmpty = mc.OutDir, mc.Force, mc.AllowEmpty
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", shards[0].path, err)
	}
	tm.stage("read_shards", tm.start)
	hooks.logf("read %d shard files of %d anchors", len(shards), h.Anchors)
	st, err := newStaging(s, hooks)
	if err != nil {
		return nil, err
	}
	res, err := merge(ctx, s, shards, st, hooks, tm)
	if err != nil {
		return nil, errors.Join(err, st.Abort())
	}
	return res, nil
}

// recordedInputs are the input paths a shard header recorded.
func recordedInputs(st InputStats) Inputs {
	path := func(f *FileStats) string {
		if f == nil {
			return ""
		}
		return f.Path
	}
	return Inputs{
		Pairs: path(st.Pairs), Terms: path(st.Terms), Embeddings: path(st.Embeddings),
		Corpus: path(st.Corpus), CorpusEmbeddings: path(st.CorpusEmbeddings),
		Queries: path(st.Queries), QueryEmbeddings: path(st.QueryEmbeddings), Qrels: path(st.Qrels),
	}
}

// override replaces the paths of in that o sets.
func override(in *Inputs, o Inputs) {
	for _, f := range []struct {
		dst *string
		v   string
	}{
		{&in.Pairs, o.Pairs}, {&in.Terms, o.Terms}, {&in.Embeddings, o.Embeddings},
		{&in.Corpus, o.Corpus}, {&in.CorpusEmbeddings, o.CorpusEmbeddings},
		{&in.Queries, o.Queries}, {&in.QueryEmbeddings, o.QueryEmbeddings}, {&in.Qrels, o.Qrels},
	} {
		if f.v != "" {
			*f.dst = f.v
		}
	}
}

func merge(ctx context.Context, s Settings, shards []*shard, st *output.Staging, hooks Hooks, tm *timer) (*Result, error) {
	readStart := time.Now()
	h := shards[0].header
	// The texts and positives must be what the shards read; the embeddings
	// are not read at all. The readers hash what they parse, so each file
	// is read once.
	var (
		p     *source.Problem
		pairs *source.PairStats
		qrels *source.QrelStats
	)
	type check struct {
		what string
		want *FileStats
	}
	var checks []check
	if s.Inputs.General() {
		checks = []check{{"corpus", h.Inputs.Corpus}, {"queries", h.Inputs.Queries}, {"qrels", h.Inputs.Qrels}}
		prob, stats, err := source.ReadBEIR(source.BEIRPaths{Corpus: s.Inputs.Corpus, Queries: s.Inputs.Queries, Qrels: s.Inputs.Qrels})
		if err != nil {
			return nil, fmt.Errorf("%w (has it changed since the shards were mined?)", inputErr(err))
		}
		p, qrels = prob, &stats
	} else {
		checks = []check{{"term list", h.Inputs.Terms}, {"pairs file", h.Inputs.Pairs}}
		prob, stats, err := source.ReadSynonyms(s.Inputs.Terms, s.Inputs.Pairs)
		if err != nil {
			return nil, fmt.Errorf("%w (has it changed since the shards were mined?)", inputErr(err))
		}
		p, pairs = prob, &stats
	}
	for i, c := range checks {
		got := p.Files[i]
		if got.SHA256 != c.want.SHA256 || got.Bytes != c.want.Bytes {
			return nil, fmt.Errorf("%w: %s %s changed since the shards were mined: %d bytes with SHA-256 %s, the shards recorded %d bytes with SHA-256 %s",
				ErrInput, c.what, got.Path, got.Bytes, got.SHA256, c.want.Bytes, c.want.SHA256)
		}
	}
	if p.Queries.Len() != h.Queries || p.Corpus.Len() != h.Corpus || len(p.Anchors) != h.Anchors {
		return nil, fmt.Errorf("%w: the inputs give %d queries, %d corpus items and %d anchors, but the shards recorded %d, %d and %d",
			ErrInput, p.Queries.Len(), p.Corpus.Len(), len(p.Anchors), h.Queries, h.Corpus, h.Anchors)
	}
	tm.stage("read_terms_and_pairs", readStart)

	comp, err := guard.Components(p)
	if err != nil {
		return nil, err
	}
	sc := &scanned{
		problem: p, results: make([]scan.Result, len(p.Anchors)), posSims: make([][]float32, len(p.Anchors)),
		guards: make([][nGuards]uint32, len(p.Anchors)), comp: comp, pairs: pairs, qrels: qrels,
	}
	inputs := h.Inputs
	sc.inputs = func() (InputStats, error) { return inputs, nil }
	// Each anchor's state comes from every corpus shard of its query shard:
	// counts and guard counters add, samples and windows merge.
	from := make([]string, len(p.Anchors))
	_, sopt := scanQuery(s, p, nil, nil, nil)
	seen := make([]int, len(p.Anchors)) // corpus shards seen per anchor
	for _, sh := range shards {
		for _, r := range sh.records {
			a := int(r.Anchor)
			bad := func(format string, args ...any) error {
				return fmt.Errorf("%w: shard file %s: anchor %d: %s", ErrInput, sh.path, a, fmt.Sprintf(format, args...))
			}
			id := p.Queries.ID(p.Anchors[a].Query)
			c := sh.header.cell()
			switch {
			case int(r.Query) != int(p.Anchors[a].Query):
				return nil, bad("recorded as query row %d, but the inputs make it query row %d", r.Query, p.Anchors[a].Query)
			case ShardOf(id, c.N) != c.K:
				return nil, bad("query %q belongs to shard %d, not %d", id, ShardOf(id, c.N), c.K)
			case seen[a] > c.J:
				return nil, bad("also in %s", from[a])
			case seen[a] < c.J:
				return nil, bad("missing from the files of corpus shards 0..%d", c.J-1)
			case len(r.PositiveSims) != len(p.Anchors[a].Positives):
				return nil, bad("%d positive similarities for %d positives", len(r.PositiveSims), len(p.Anchors[a].Positives))
			case seen[a] > 0 && !slices.Equal(r.PositiveSims, sc.posSims[a]):
				return nil, bad("its positive similarities differ from those in %s", from[a])
			}
			if seen[a] == 0 {
				sc.results[a], sc.posSims[a] = r.Result, r.PositiveSims
			} else {
				center := float64(lowestPositive(r.PositiveSims)) + s.SimANSB
				sc.results[a] = scan.MergeResults(sc.results[a], r.Result, sopt, center)
			}
			for g := range sc.guards[a] {
				sc.guards[a][g] += r.Guards[g]
			}
			seen[a]++
			from[a] = sh.path
		}
	}
	m := h.CorpusShards
	for a, n := range seen {
		if n != m {
			id := p.Queries.ID(p.Anchors[a].Query)
			return nil, fmt.Errorf("%w: anchor %d (query %q) of query shard %d is in %d of the %d corpus shards' files",
				ErrInput, a, id, ShardOf(id, h.Shards), n, m)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return finish(ctx, s, st, sc, hooks, tm)
}

// expandShardPaths replaces each folder by the shard files in it, sorted;
// hidden files are never shard files.
func expandShardPaths(paths []string) ([]string, error) {
	if len(paths) == 0 {
		return nil, fmt.Errorf("%w: no shard files given", ErrConfig)
	}
	var files []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("%w: shard file %w", ErrInput, err)
		}
		if !fi.IsDir() {
			files = append(files, p)
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return nil, fmt.Errorf("%w: list %s: %w", ErrInput, p, err)
		}
		var found []string
		for _, e := range entries {
			if !e.IsDir() && strings.HasSuffix(e.Name(), ShardExt) && !strings.HasPrefix(e.Name(), ".") {
				found = append(found, filepath.Join(p, e.Name()))
			}
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("%w: folder %s holds no *%s files", ErrInput, p, ShardExt)
		}
		slices.Sort(found)
		files = append(files, found...)
	}
	return files, nil
}

// readShards reads every file and checks that together they are every cell
// of one run's grid (query shards 0..N-1 × corpus shards 0..M-1): same N
// and M, settings and inputs, each cell once. It returns them by cell, K
// major.
func readShards(files []string) ([]*shard, error) {
	var shards []*shard
	for _, f := range files {
		sh, err := readShardFile(f)
		if err != nil {
			return nil, err
		}
		shards = append(shards, sh)
	}
	first := shards[0]
	h0 := first.header
	for _, sh := range shards[1:] {
		h := sh.header
		if h.Shards != h0.Shards || h.CorpusShards != h0.CorpusShards {
			return nil, fmt.Errorf("%w: %s is %s but %s is %s; merge the shards of one run",
				ErrConfig, first.path, h0.cell(), sh.path, h.cell())
		}
		if d := settingsDiff(h0.Settings, h.Settings); d != "" {
			return nil, fmt.Errorf("%w: shard files %s and %s were mined with different settings: %s",
				ErrConfig, first.path, sh.path, d)
		}
		if d := h0.inputsDiff(h); d != "" {
			return nil, fmt.Errorf("%w: shard files %s and %s were mined from different inputs: %s",
				ErrInput, first.path, sh.path, d)
		}
	}
	// The grid's size comes from a file: look at the shards given before
	// allocating anything by it (a crafted header could ask for 2^40 cells).
	type at struct{ k, j int }
	present := make(map[at]*shard, len(shards))
	for _, sh := range shards {
		c := sh.header.cell()
		if prev := present[at{c.K, c.J}]; prev != nil {
			return nil, fmt.Errorf("%w: %s is given twice: %s and %s", ErrInput, c, prev.path, sh.path)
		}
		present[at{c.K, c.J}] = sh
	}
	cells := int64(h0.Shards) * int64(h0.CorpusShards) // each at most 2^20 (check)
	if int64(len(present)) < cells {
		// The first few missing cells are among the first len(present)+10.
		var missing []string
		for i := int64(0); i < cells && len(missing) < 10; i++ {
			c := Cell{K: int(i / int64(h0.CorpusShards)), N: h0.Shards, J: int(i % int64(h0.CorpusShards)), M: h0.CorpusShards}
			if present[at{c.K, c.J}] == nil {
				missing = append(missing, fmt.Sprintf("%s (%s)", c, c.FileName()))
			}
		}
		more := ""
		if n := cells - int64(len(present)) - int64(len(missing)); n > 0 {
			more = fmt.Sprintf(" and %d more", n)
		}
		return nil, fmt.Errorf("%w: missing %s%s; merge needs every shard of the run", ErrInput, strings.Join(missing, ", "), more)
	}
	grid := make([]*shard, cells) // cells == len(present) <= len(files)
	for c, sh := range present {
		grid[c.k*h0.CorpusShards+c.j] = sh
	}
	return grid, nil
}

// readShardFile reads and checks one shard file; every error is ErrInput
// and names the file.
func readShardFile(path string) (*shard, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: read shard file: %w", ErrInput, err)
	}
	bad := func(err error) error { return fmt.Errorf("%w: shard file %s: %w", ErrInput, path, err) }
	hdr, err := shardfile.Header(data)
	if err != nil {
		return nil, bad(err)
	}
	sh := &shard{path: path}
	dec := json.NewDecoder(bytes.NewReader(hdr))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sh.header); err != nil {
		return nil, bad(fmt.Errorf("header: %v", err))
	}
	if err := sh.header.check(); err != nil {
		return nil, bad(fmt.Errorf("header: %v", err))
	}
	if sh.records, err = shardfile.Decode(data, sh.header.layout()); err != nil {
		return nil, bad(err)
	}
	return sh, nil
}

// check refuses a header no RunShard writes, before its sizes are used to
// bound the records.
func (h *shardHeader) check() error {
	s := h.Settings
	switch {
	case !h.cell().valid() || h.Shards > 1<<20 || h.CorpusShards > 1<<20:
		return fmt.Errorf("shard %d of %d, corpus shard %d of %d", h.Shard, h.Shards, h.CorpusShard, h.CorpusShards)
	case h.Queries < 0 || h.Corpus < 0 || h.Anchors < 0 || h.Anchors > h.Queries || h.Queries > math.MaxInt32 || h.Corpus > math.MaxInt32:
		return fmt.Errorf("%d queries, %d corpus items, %d anchors", h.Queries, h.Corpus, h.Anchors)
	}
	s.Inputs, s.OutDir = recordedInputs(h.Inputs), "merge"
	if err := s.Validate(); err != nil {
		return err
	}
	return nil
}

// settingsDiff names the first setting that differs, with both values, or
// is "". It walks the settings' JSON fields in the order they are declared,
// so a setting added to Settings is compared without another list to keep.
func settingsDiff(a, b Settings) string {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if bytes.Equal(ja, jb) {
		return ""
	}
	var ma, mb map[string]json.RawMessage
	_ = json.Unmarshal(ja, &ma)
	_ = json.Unmarshal(jb, &mb)
	t := reflect.TypeOf(a)
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name == "-" || name == "" {
			continue
		}
		if !bytes.Equal(ma[name], mb[name]) {
			return fmt.Sprintf("%s %s and %s", name, ma[name], mb[name])
		}
	}
	return "settings differ"
}

func jsonDiff(name string, a, b any) string {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if bytes.Equal(ja, jb) {
		return ""
	}
	return fmt.Sprintf("%s %s and %s", name, ja, jb)
}

// inputsDiff names the first difference in what the shards read, or "".
func (h shardHeader) inputsDiff(o shardHeader) string {
	for _, f := range []struct {
		name string
		a, b any
	}{
		{"inputs", h.Inputs, o.Inputs},
		{"pair counts", h.Pairs, o.Pairs},
		{"qrels counts", h.Qrels, o.Qrels},
		{"sizes", [3]int{h.Queries, h.Corpus, h.Anchors}, [3]int{o.Queries, o.Corpus, o.Anchors}},
		{"tool", h.Tool, o.Tool},
	} {
		if d := jsonDiff(f.name, f.a, f.b); d != "" {
			return d
		}
	}
	return ""
}
