package mine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hardneg/hardneg/guard"
	"github.com/hardneg/hardneg/sample"
	"github.com/hardneg/hardneg/scan"
	"github.com/hardneg/hardneg/source"
	"github.com/hardneg/hardneg/split"
)

// Sharded runs split the anchors, not the terms: RunShard scans the anchors
// of one shard against the whole term matrix and writes a shard file; Merge
// reads every shard file of a run, puts the scan results back in anchor
// first-seen order and finishes exactly as Run does. Because an anchor's
// band counts and bottom-k sample do not depend on which other anchors are
// scanned beside it, the merged outputs are byte-identical to one Run with
// the same settings (timings_seconds in the stats file excepted).
//
// The shard file (ShardExt), format version 1, all integers little-endian:
//
//	magic    8 bytes  "HNSHARD\x00"
//	version  uint32   1
//	hlen     uint32   length of the header
//	header   hlen bytes of JSON: shard, shards, settings (bands with ranges
//	         and ratios, negatives_per_anchor, train_ratio, val_ratio, seed,
//	         quota, store, parquet), inputs (as the stats file records them:
//	         paths, sizes, SHA-256, shape, dtype), pairs (the pair counts),
//	         terms, anchors (in the whole pairs file) and tool
//	count    uint32   number of anchor records
//	records  per anchor of the shard, in increasing anchor index:
//	           anchor  uint32  index in the global first-seen order
//	           term    uint32  the anchor's row in the term list
//	           per band, in band order:
//	             pool   uint64  candidates in the band
//	             picks  uint32  sampled candidates, min(pool, negatives_per_anchor)
//	             picks × (row uint32, similarity float32 bits uint32, key uint32),
//	                    in increasing key order
//	sha256   32 bytes of SHA-256 over everything before it
//
// The same inputs, settings and shard give the same bytes.

// ShardExt ends the name of every shard file.
const ShardExt = ".hnshard"

const (
	shardMagic   = "HNSHARD\x00"
	shardVersion = 1
)

// ShardFileName is the name RunShard gives shard k of n.
func ShardFileName(k, n int) string {
	return fmt.Sprintf("shard-%05d-of-%05d%s", k, n, ShardExt)
}

// ShardOf is the shard, of n, that scans the anchor term: the FNV-1a hash
// of its UTF-8 bytes, mixed (splitmix64's finaliser) so that every bit
// counts, modulo n. It depends on the term alone, so the partition is the
// same on every machine and for any order of the pairs.
func ShardOf(term string, n int) int {
	return int(scan.Mix(termID(term)) % uint64(n))
}

// ShardResult is what RunShard wrote.
type ShardResult struct {
	Path          string // the shard file
	Shard, Shards int
	Anchors       int // anchors in this shard
	TotalAnchors  int // anchors in the whole pairs file
}

// RunShard reads the inputs as Run does, scans only the anchors of shard k
// of n (see ShardOf) and writes their scan results into the shard file
// ShardFileName(k, n) in cfg.OutDir, through a temporary name. Without
// cfg.Force an existing shard file is refused before anything is read.
func RunShard(ctx context.Context, cfg Config, k, n int, hooks Hooks) (*ShardResult, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if n < 1 || k < 0 || k >= n {
		return nil, fmt.Errorf("%w: shard %d of %d: want 0 <= K < N", ErrConfig, k, n)
	}
	if cfg.WithScores || cfg.ceiling() {
		// Positive similarities, and the candidates a ceiling drops, would
		// have to travel in the shard files.
		return nil, fmt.Errorf("%w: scores (--with-scores) and ceilings (--max-neg-ratio, --max-neg-margin) are not supported in sharded runs yet", ErrConfig)
	}
	threads := cfg.Threads
	if threads == 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	path := filepath.Join(cfg.OutDir, ShardFileName(k, n))
	if fi, err := os.Stat(cfg.OutDir); err == nil && !fi.IsDir() {
		return nil, fmt.Errorf("%w: output folder %s is a file", ErrConfig, cfg.OutDir)
	}
	if _, err := os.Lstat(path); err == nil && !cfg.Force {
		return nil, fmt.Errorf("%w: %s already exists (use --force to replace)", ErrOutputExists, path)
	}

	tm := newTimer()
	in, err := readInputs(cfg, hooks)
	if err != nil {
		return nil, err
	}
	defer in.emb.Close()
	tm.stage("read_terms_and_pairs", tm.start)
	var sel []int
	for i, a := range in.anchors {
		if ShardOf(in.voc.IDs[a.Query], n) == k {
			sel = append(sel, i)
		}
	}
	sel = slices.Clip(sel)
	if sel == nil {
		sel = []int{} // nil would mean every anchor
	}
	hooks.logf("shard %d of %d: %d of %d anchors", k, n, len(sel), len(in.anchors))
	results, _, _, err := scanAnchors(ctx, cfg, in, sel, threads, hooks, tm)
	if err != nil {
		return nil, err
	}
	inputs, err := in.inputStats()
	if err != nil {
		return nil, err
	}
	sh := &shardFile{
		header: shardHeader{
			Shard: k, Shards: n, Settings: settingsOf(cfg), Inputs: inputs, Pairs: in.pairStats,
			Terms: in.voc.Len(), Anchors: len(in.anchors), Tool: Version(),
		},
	}
	for i, a := range sel {
		sh.records = append(sh.records, shardRecord{anchor: uint32(a), term: uint32(in.anchors[a].Query), result: results[i]})
	}
	data, err := sh.encode()
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
	return &ShardResult{Path: path, Shard: k, Shards: n, Anchors: len(sel), TotalAnchors: len(in.anchors)}, nil
}

// writeAtomic writes data to a temporary file beside path and renames it
// into place, so path never holds part of a file.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("%w: output folder %s cannot be created: %w", ErrConfig, dir, err)
	}
	f, err := os.CreateTemp(dir, stagingPrefix+"*"+ShardExt)
	if err != nil {
		return fmt.Errorf("%w: output folder %s cannot be written: %w", ErrConfig, dir, err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o644) // CreateTemp makes it 0600
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// MergeConfig says where Merge writes and, optionally, where it finds the
// term list and pairs when they moved since the shards were mined. Every
// setting of the run comes from the shard files.
type MergeConfig struct {
	OutDir string
	// PairsPath and TermsPath, when set, are read instead of the paths the
	// shards recorded; their SHA-256 must still match. The stats file
	// records the inputs as the shards read them.
	PairsPath, TermsPath string
	// Force lets the merge replace outputs that already exist.
	Force bool
}

// Merge reads the shard files at paths (a folder stands for every
// *.hnshard file in it), checks that they are shards 0..N-1 of one run with
// the same settings and inputs, re-reads the term list and the pairs (not
// the embeddings) and checks them against the shards' SHA-256, and writes
// the outputs into mc.OutDir exactly as Run would have.
//
// Shards that disagree on settings (or on N) are ErrConfig; a missing,
// duplicate, corrupt or unreadable shard, shards of different inputs, and a
// term list or pairs file that changed are ErrInput. On any error the
// output folder is left as it was.
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
	cfg := h.Settings.config()
	cfg.PairsPath, cfg.TermsPath, cfg.EmbeddingsPath = h.Inputs.Pairs.Path, h.Inputs.Terms.Path, h.Inputs.Embeddings.Path
	if mc.PairsPath != "" {
		cfg.PairsPath = mc.PairsPath
	}
	if mc.TermsPath != "" {
		cfg.TermsPath = mc.TermsPath
	}
	cfg.OutDir, cfg.Force = mc.OutDir, mc.Force
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", shards[0].path, err)
	}
	tm.stage("read_shards", tm.start)
	hooks.logf("read %d shard files of %d anchors", len(shards), h.Anchors)
	st, err := newStaging(cfg.OutDir, cfg.outputs(), cfg.Force)
	if err != nil {
		return nil, err
	}
	res, err := merge(ctx, cfg, shards, st, hooks, tm)
	if err != nil {
		return nil, errors.Join(err, st.abort())
	}
	return res, nil
}

func merge(ctx context.Context, cfg Config, shards []*shardFile, st *staging, hooks Hooks, tm *timer) (*Result, error) {
	readStart := time.Now()
	h := shards[0].header
	for _, c := range []struct {
		what, path string
		want       FileStats
	}{{"pairs file", cfg.PairsPath, h.Inputs.Pairs}, {"term list", cfg.TermsPath, h.Inputs.Terms}} {
		got, err := fileStats(c.path)
		if err != nil {
			return nil, inputErr(err)
		}
		if got.SHA256 != c.want.SHA256 || got.Bytes != c.want.Bytes {
			return nil, fmt.Errorf("%w: %s %s changed since the shards were mined: %d bytes with SHA-256 %s, the shards recorded %d bytes with SHA-256 %s",
				ErrInput, c.what, c.path, got.Bytes, got.SHA256, c.want.Bytes, c.want.SHA256)
		}
	}
	voc, err := source.ReadTerms(cfg.TermsPath)
	if err != nil {
		return nil, inputErr(err)
	}
	anchors, pairStats, err := source.ReadPairs(cfg.PairsPath, voc)
	if err != nil {
		return nil, inputErr(err)
	}
	if voc.Len() != h.Terms || len(anchors) != h.Anchors || pairStats != h.Pairs {
		return nil, fmt.Errorf("%w: %s and %s give %d terms and %d anchors, but the shards recorded %d terms and %d anchors",
			ErrInput, cfg.TermsPath, cfg.PairsPath, voc.Len(), len(anchors), h.Terms, h.Anchors)
	}
	tm.stage("read_terms_and_pairs", readStart)

	results := make([]scan.Result, len(anchors))
	from := make([]string, len(anchors))
	for _, sh := range shards {
		for _, r := range sh.records {
			a := int(r.anchor)
			bad := func(format string, args ...any) error {
				return fmt.Errorf("%w: shard file %s: anchor %d: %s", ErrInput, sh.path, a, fmt.Sprintf(format, args...))
			}
			switch {
			case a >= len(anchors):
				return nil, bad("there are only %d anchors", len(anchors))
			case int(r.term) != int(anchors[a].Query):
				return nil, bad("recorded as term row %d, but the pairs make it term row %d", r.term, anchors[a].Query)
			case ShardOf(voc.IDs[r.term], sh.header.Shards) != sh.header.Shard:
				return nil, bad("term %q belongs to shard %d, not %d", voc.IDs[r.term], ShardOf(voc.IDs[r.term], sh.header.Shards), sh.header.Shard)
			case from[a] != "":
				return nil, bad("also in %s", from[a])
			}
			for b, picks := range r.result.Picks {
				for _, p := range picks {
					if int(p.Row) >= voc.Len() || p.Row < 0 {
						return nil, bad("band %d picks row %d of %d terms", b, p.Row, voc.Len())
					}
				}
			}
			results[a], from[a] = r.result, sh.path
		}
	}
	for a, f := range from {
		if f == "" {
			return nil, fmt.Errorf("%w: anchor %d (term %q) is in none of the shard files, though it belongs to shard %d",
				ErrInput, a, voc.IDs[anchors[a].Query], ShardOf(voc.IDs[anchors[a].Query], h.Shards))
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	inputs := h.Inputs
	return finish(ctx, cfg, st, scanned{
		terms: voc.IDs, anchors: anchors, results: results, pairs: pairStats,
		inputs: func() (InputStats, error) { return inputs, nil },
	}, hooks, tm)
}

// expandShardPaths replaces each folder by the shard files in it, sorted.
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
		found, err := filepath.Glob(filepath.Join(globEscape(p), "*"+ShardExt))
		if err != nil {
			return nil, fmt.Errorf("%w: list %s: %w", ErrInput, p, err)
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("%w: folder %s holds no *%s files", ErrInput, p, ShardExt)
		}
		slices.Sort(found)
		files = append(files, found...)
	}
	return files, nil
}

func globEscape(p string) string {
	var b strings.Builder
	for _, r := range p {
		if strings.ContainsRune(`*?[\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// readShards reads every file and checks that together they are shards
// 0..N-1 of one run: same N, settings and inputs, each index once.
func readShards(files []string) ([]*shardFile, error) {
	var shards []*shardFile
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
		if h.Shards != h0.Shards {
			return nil, fmt.Errorf("%w: %s is shard %d of %d but %s is shard %d of %d; merge the shards of one run",
				ErrConfig, first.path, h0.Shard, h0.Shards, sh.path, h.Shard, h.Shards)
		}
		if d := h0.Settings.diff(h.Settings); d != "" {
			return nil, fmt.Errorf("%w: shard files %s and %s were mined with different settings: %s",
				ErrConfig, first.path, sh.path, d)
		}
		if d := h0.inputsDiff(h); d != "" {
			return nil, fmt.Errorf("%w: shard files %s and %s were mined from different inputs: %s",
				ErrInput, first.path, sh.path, d)
		}
	}
	byIndex := make([]*shardFile, h0.Shards)
	for _, sh := range shards {
		if prev := byIndex[sh.header.Shard]; prev != nil {
			return nil, fmt.Errorf("%w: shard %d of %d is given twice: %s and %s",
				ErrInput, sh.header.Shard, h0.Shards, prev.path, sh.path)
		}
		byIndex[sh.header.Shard] = sh
	}
	var missing []string
	firstMissing := -1
	for k, sh := range byIndex {
		if sh == nil {
			missing = append(missing, strconv.Itoa(k))
			if firstMissing < 0 {
				firstMissing = k
			}
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: missing shard(s) %s of %d (no %s); merge needs every shard of the run",
			ErrInput, strings.Join(missing, ", "), h0.Shards, ShardFileName(firstMissing, h0.Shards))
	}
	return byIndex, nil
}

// shardSettings is every setting that changes a run's result; paths,
// threads, force and the memory cap do not.
type shardSettings struct {
	Bands              []shardBand `json:"bands"`
	NegativesPerAnchor int         `json:"negatives_per_anchor"`
	TrainRatio         float64     `json:"train_ratio"`
	ValRatio           float64     `json:"val_ratio"`
	Seed               uint64      `json:"seed"`
	Quota              string      `json:"quota"`
	SplitBy            string      `json:"split_by"`
	Format             string      `json:"format"`
	Exclude            string      `json:"exclude"`
	Lexical            guard.Rules `json:"lexical"`
	MaxNegativeReuse   int         `json:"max_negative_reuse"`
	Store              string      `json:"store"`
	Parquet            bool        `json:"parquet"`
}

type shardBand struct {
	Name  string  `json:"name"`
	Lo    float64 `json:"lo"`
	Hi    float64 `json:"hi"`
	Ratio float64 `json:"ratio"`
}

func settingsOf(cfg Config) shardSettings {
	s := shardSettings{
		NegativesPerAnchor: cfg.NegativesPerAnchor, TrainRatio: cfg.TrainRatio, ValRatio: cfg.ValRatio,
		Seed: cfg.Seed, Quota: cfg.Quota.String(), SplitBy: cfg.SplitBy.String(), Format: cfg.Format, Store: cfg.Store, Parquet: cfg.Parquet,
		Exclude: cfg.Exclude, MaxNegativeReuse: cfg.MaxNegativeReuse, Lexical: cfg.Lexical,
	}
	for _, b := range cfg.Bands {
		s.Bands = append(s.Bands, shardBand{b.Name, b.Lo, b.Hi, b.Ratio})
	}
	return s
}

// config is a Config with these settings and no paths.
func (s shardSettings) config() Config {
	cfg := Config{
		NegativesPerAnchor: s.NegativesPerAnchor, TrainRatio: s.TrainRatio, ValRatio: s.ValRatio,
		Seed: s.Seed, Store: s.Store, Parquet: s.Parquet, Format: s.Format,
		Exclude: s.Exclude, MaxNegativeReuse: s.MaxNegativeReuse, Lexical: s.Lexical,
	}
	cfg.Quota, _ = sample.ParseMode(s.Quota)    // checked when the file is read
	cfg.SplitBy, _ = split.ParseMode(s.SplitBy) // likewise
	for _, b := range s.Bands {
		cfg.Bands = append(cfg.Bands, Band{Name: b.Name, Lo: b.Lo, Hi: b.Hi, Ratio: b.Ratio})
	}
	return cfg
}

// diff names the first setting that differs, with both values, or is "".
// It walks the settings' JSON fields in the order they are declared, so a
// setting added to shardSettings is compared without another list to keep.
func (s shardSettings) diff(o shardSettings) string {
	ja, _ := json.Marshal(s)
	jb, _ := json.Marshal(o)
	if bytes.Equal(ja, jb) {
		return ""
	}
	var ma, mb map[string]json.RawMessage
	_ = json.Unmarshal(ja, &ma)
	_ = json.Unmarshal(jb, &mb)
	t := reflect.TypeOf(s)
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
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

type shardHeader struct {
	Shard    int              `json:"shard"`
	Shards   int              `json:"shards"`
	Settings shardSettings    `json:"settings"`
	Inputs   InputStats       `json:"inputs"`
	Pairs    source.PairStats `json:"pairs"`
	Terms    int              `json:"terms"`
	Anchors  int              `json:"anchors"`
	Tool     string           `json:"tool"`
}

// inputsDiff names the first difference in what the shards read, or "".
func (h shardHeader) inputsDiff(o shardHeader) string {
	for _, f := range []struct {
		name string
		a, b any
	}{
		{"pairs", h.Inputs.Pairs, o.Inputs.Pairs},
		{"terms", h.Inputs.Terms, o.Inputs.Terms},
		{"embeddings", h.Inputs.Embeddings, o.Inputs.Embeddings},
		{"shape", h.Inputs.Shape, o.Inputs.Shape},
		{"dtype", h.Inputs.DType, o.Inputs.DType},
		{"pair counts", h.Pairs, o.Pairs},
		{"term count", h.Terms, o.Terms},
		{"anchor count", h.Anchors, o.Anchors},
		{"tool", h.Tool, o.Tool},
	} {
		if d := jsonDiff(f.name, f.a, f.b); d != "" {
			return d
		}
	}
	return ""
}

type shardRecord struct {
	anchor, term uint32
	result       scan.Result
}

// shardFile is a shard file in memory; path is where it was read from.
type shardFile struct {
	path    string
	header  shardHeader
	records []shardRecord
}

func (s *shardFile) encode() ([]byte, error) {
	hdr, err := json.Marshal(s.header)
	if err != nil {
		return nil, fmt.Errorf("encode shard header: %w", err)
	}
	le := binary.LittleEndian
	b := []byte(shardMagic)
	b = le.AppendUint32(b, shardVersion)
	b = le.AppendUint32(b, uint32(len(hdr)))
	b = append(b, hdr...)
	b = le.AppendUint32(b, uint32(len(s.records)))
	for _, r := range s.records {
		b = le.AppendUint32(b, r.anchor)
		b = le.AppendUint32(b, r.term)
		for band, count := range r.result.Counts {
			picks := r.result.Picks[band]
			b = le.AppendUint64(b, uint64(count))
			b = le.AppendUint32(b, uint32(len(picks)))
			for _, p := range picks {
				b = le.AppendUint32(b, uint32(p.Row))
				b = le.AppendUint32(b, math.Float32bits(p.Sim))
				b = le.AppendUint32(b, p.Key)
			}
		}
	}
	sum := sha256.Sum256(b)
	return append(b, sum[:]...), nil
}

// readShardFile reads and checks one shard file; every error is ErrInput
// and names the file.
func readShardFile(path string) (*shardFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: read shard file: %w", ErrInput, err)
	}
	sh, off, err := decodeShard(data)
	if err != nil {
		if off >= 0 {
			return nil, fmt.Errorf("%w: shard file %s: byte %d: %v", ErrInput, path, off, err)
		}
		return nil, fmt.Errorf("%w: shard file %s: %v", ErrInput, path, err)
	}
	sh.path = path
	return sh, nil
}

// decodeShard parses a shard file; on error it also returns the byte
// offset the error is about, or -1 for the whole file.
func decodeShard(data []byte) (*shardFile, int, error) {
	if len(data) < len(shardMagic) || string(data[:len(shardMagic)]) != shardMagic {
		return nil, -1, errors.New("not a hardneg shard file (no HNSHARD magic)")
	}
	if len(data) < len(shardMagic)+8+sha256.Size {
		return nil, -1, fmt.Errorf("truncated: %d bytes", len(data))
	}
	r := &byteReader{b: data[:len(data)-sha256.Size], off: len(shardMagic)}
	if v := r.u32(); v != shardVersion {
		return nil, len(shardMagic), fmt.Errorf("format version %d; this hardneg reads version %d", v, shardVersion)
	}
	body, sum := data[:len(data)-sha256.Size], data[len(data)-sha256.Size:]
	if got := sha256.Sum256(body); !bytes.Equal(got[:], sum) {
		return nil, -1, errors.New("checksum mismatch: the file is truncated or corrupt")
	}
	sh := &shardFile{}
	hlen := int(r.u32())
	hoff := r.off
	hdr := r.bytes(hlen)
	if r.err != nil {
		return nil, r.off, r.err
	}
	dec := json.NewDecoder(bytes.NewReader(hdr))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sh.header); err != nil {
		return nil, hoff, fmt.Errorf("header: %v", err)
	}
	h := &sh.header
	if err := h.check(); err != nil {
		return nil, hoff, fmt.Errorf("header: %v", err)
	}
	hc := h.Settings.config()
	nb, keep := len(h.Settings.Bands), hc.keep()
	count := int(r.u32())
	prev := -1
	for i := 0; i < count && r.err == nil; i++ {
		at := r.off
		rec := shardRecord{anchor: r.u32(), term: r.u32()}
		rec.result = scan.Result{Counts: make([]int64, nb), Picks: make([][]scan.Pick, nb)}
		for b := range nb {
			pool := r.u64()
			n := int(r.u32())
			if r.err != nil {
				break
			}
			if pool > math.MaxInt64 || uint64(n) != min(pool, uint64(keep)) {
				return nil, at, fmt.Errorf("anchor %d: band %d has a pool of %d and %d picks; want min(pool, %d) picks", rec.anchor, b, pool, n, keep)
			}
			rec.result.Counts[b] = int64(pool)
			picks := make([]scan.Pick, 0, n)
			for range n {
				picks = append(picks, scan.Pick{Row: int32(r.u32()), Sim: math.Float32frombits(r.u32()), Key: r.u32()})
			}
			rec.result.Picks[b] = picks
		}
		if r.err != nil {
			break
		}
		if int(rec.anchor) <= prev || int(rec.anchor) >= h.Anchors || int(rec.term) >= h.Terms {
			return nil, at, fmt.Errorf("record %d: anchor %d (term row %d) is out of order or out of range (%d anchors, %d terms)",
				i, rec.anchor, rec.term, h.Anchors, h.Terms)
		}
		prev = int(rec.anchor)
		sh.records = append(sh.records, rec)
	}
	if r.err != nil {
		return nil, r.off, r.err
	}
	if r.off != len(r.b) {
		return nil, r.off, fmt.Errorf("%d bytes after the last record", len(r.b)-r.off)
	}
	return sh, 0, nil
}

// check refuses a header no RunShard writes.
func (h *shardHeader) check() error {
	switch {
	case h.Shards < 1 || h.Shard < 0 || h.Shard >= h.Shards:
		return fmt.Errorf("shard %d of %d", h.Shard, h.Shards)
	case h.Terms < 0 || h.Anchors < 0 || h.Anchors > math.MaxUint32:
		return fmt.Errorf("%d terms, %d anchors", h.Terms, h.Anchors)
	case len(h.Settings.Bands) == 0:
		return errors.New("no bands")
	case h.Settings.NegativesPerAnchor < 1:
		return fmt.Errorf("negatives_per_anchor %d", h.Settings.NegativesPerAnchor)
	}
	if _, err := sample.ParseMode(h.Settings.Quota); err != nil {
		return err
	}
	if _, err := split.ParseMode(h.Settings.SplitBy); err != nil {
		return err
	}
	return nil
}

// byteReader reads little-endian values; past the end it sets err and
// returns zeros.
type byteReader struct {
	b   []byte
	off int
	err error
}

func (r *byteReader) bytes(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b)-r.off {
		r.err = fmt.Errorf("truncated: want %d bytes, %d left", n, len(r.b)-r.off)
		return nil
	}
	s := r.b[r.off : r.off+n]
	r.off += n
	return s
}

func (r *byteReader) u32() uint32 {
	if s := r.bytes(4); s != nil {
		return binary.LittleEndian.Uint32(s)
	}
	return 0
}

func (r *byteReader) u64() uint64 {
	if s := r.bytes(8); s != nil {
		return binary.LittleEndian.Uint64(s)
	}
	return 0
}
