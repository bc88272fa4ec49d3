package synth

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/hardneg/hardneg/npy"
	"github.com/hardneg/hardneg/source"
)

// midConfig is the size the structure tests measure: big enough for the
// bands to mean something, small enough to scan a few hundred anchors.
var midConfig = Config{Terms: 20000, Dim: 128, Seed: 42, DType: npy.Float32}

var mid = sync.OnceValues(func() (*Dataset, error) { return Generate(midConfig) })

// midHeldConfig is midConfig with DefaultHeldOut of its synonym pairs held out.
var midHeldConfig = func() Config { c := midConfig; c.HeldOut = DefaultHeldOut; return c }()

var midHeld = sync.OnceValues(func() (*Dataset, error) { return Generate(midHeldConfig) })

func midHeldDataset(t *testing.T) *Dataset {
	t.Helper()
	d, err := midHeld()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func midDataset(t *testing.T) *Dataset {
	t.Helper()
	d, err := mid()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestConfigValidation(t *testing.T) {
	ok := DefaultConfig()
	with := func(f func(*Config)) Config { c := ok; f(&c); return c }
	tests := []struct {
		name string
		cfg  Config
		want string // substring of the error; "" for success
	}{
		{"default", ok, ""},
		{"smallest", Config{Terms: 10, Dim: 2, DType: npy.Float32}, ""},
		{"all anchors", with(func(c *Config) { c.Anchors = c.Terms }), ""},
		{"two anchors", with(func(c *Config) { c.Anchors = 2 }), ""},
		{"float16", with(func(c *Config) { c.DType = npy.Float16 }), ""},
		{"float64", with(func(c *Config) { c.DType = npy.Float64 }), ""},
		{"too few terms", with(func(c *Config) { c.Terms = 9 }), "terms must be at least 10, got 9"},
		{"negative terms", with(func(c *Config) { c.Terms = -1 }), "terms must be at least 10"},
		{"dim 1", with(func(c *Config) { c.Dim = 1 }), "dim must be at least 2, got 1"},
		{"dim 0", with(func(c *Config) { c.Dim = 0 }), "dim must be at least 2"},
		{"too big", with(func(c *Config) { c.Terms, c.Dim = 1<<20, 1<<12 }), "more than"},
		{"anchors over terms", with(func(c *Config) { c.Anchors = c.Terms + 1 }), "anchors (5001) must not exceed terms (5000)"},
		{"negative anchors", with(func(c *Config) { c.Anchors = -3 }), "anchors must not be negative"},
		{"one anchor", with(func(c *Config) { c.Anchors = 1 }), "at least 2, got 1"},
		{"no dtype", with(func(c *Config) { c.DType = "" }), `dtype ""`},
		{"int dtype", with(func(c *Config) { c.DType = "<i4" }), `dtype "<i4"`},
		{"big-endian", with(func(c *Config) { c.DType = ">f4" }), `dtype ">f4"`},
		{"no held-out", with(func(c *Config) { c.HeldOut = 0 }), ""},
		{"half held out", with(func(c *Config) { c.HeldOut = 0.5 }), ""},
		{"negative held-out", with(func(c *Config) { c.HeldOut = -0.1 }), "held-out share must be in [0, 1), got -0.1"},
		{"all held out", with(func(c *Config) { c.HeldOut = 1 }), "held-out share must be in [0, 1), got 1"},
		{"NaN held-out", with(func(c *Config) { c.HeldOut = math.NaN() }), "got NaN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Generate(tt.cfg)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Generate: %v", err)
				}
				if len(d.Terms) != tt.cfg.Terms || len(d.Embeddings) != tt.cfg.Terms*tt.cfg.Dim || len(d.Pairs) == 0 {
					t.Fatalf("got %d terms, %d values, %d pairs", len(d.Terms), len(d.Embeddings), len(d.Pairs))
				}
				return
			}
			if err == nil {
				t.Fatalf("Generate succeeded, want error containing %q", tt.want)
			}
			if !errors.Is(err, ErrConfig) {
				t.Errorf("error %v is not ErrConfig", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

// TestTinyConfigs runs the corners where groups, topics and OOV pairs have
// little room.
func TestTinyConfigs(t *testing.T) {
	for _, cfg := range []Config{
		{Terms: 10, Dim: 2},
		{Terms: 10, Dim: 3, Anchors: 10},
		{Terms: 11, Dim: 2, Anchors: 11},
		{Terms: 12, Dim: 5, Anchors: 3},
		{Terms: 37, Dim: 4, Anchors: 36},
		{Terms: 100, Dim: 2, Anchors: 99},
	} {
		for seed := range uint64(40) {
			// Half the seeds hold pairs out, a large share to crowd them.
			cfg.Seed, cfg.DType, cfg.HeldOut = seed, npy.Float16, 0
			if seed%2 == 1 {
				cfg.HeldOut = 0.4
			}
			d, err := Generate(cfg)
			if err != nil {
				t.Fatalf("%+v: %v", cfg, err)
			}
			checkRows(t, d)
			checkGroups(t, d)
			checkHeldOut(t, d)
			if seed < 2 {
				if err := d.WriteDir(t.TempDir()); err != nil {
					t.Fatalf("%+v: WriteDir: %v", cfg, err)
				}
			}
		}
	}
}

func writeFiles(t *testing.T, d *Dataset) map[string][]byte {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "new", "dir")
	if err := d.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	files := make(map[string][]byte)
	for _, name := range []string{source.PairsFile, source.TermsFile, source.EmbeddingsFile, HeldOutFile} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = b
	}
	return files
}

func TestDeterminism(t *testing.T) {
	gen := func(cfg Config) map[string][]byte {
		d, err := Generate(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return writeFiles(t, d)
	}
	cfg := DefaultConfig()
	cfg.DType = npy.Float16
	a, b := gen(cfg), gen(cfg)
	for name := range a {
		if !bytes.Equal(a[name], b[name]) {
			t.Errorf("%s differs between two runs of the same config", name)
		}
	}

	// The number of CPUs must not matter.
	prev := runtime.GOMAXPROCS(1)
	serial := gen(cfg)
	runtime.GOMAXPROCS(prev)
	for name := range a {
		if !bytes.Equal(a[name], serial[name]) {
			t.Errorf("%s differs between GOMAXPROCS=%d and 1", name, prev)
		}
	}

	cfg.Seed++
	c := gen(cfg)
	for name := range a {
		if bytes.Equal(a[name], c[name]) {
			t.Errorf("%s is the same for seeds %d and %d", name, cfg.Seed-1, cfg.Seed)
		}
	}
}

func TestWriteDir(t *testing.T) {
	d, err := Generate(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	files := writeFiles(t, d)

	t.Run("pairs", func(t *testing.T) {
		raw := files[source.PairsFile]
		if bytes.Contains(raw, []byte(`\u`)) {
			t.Error("pairs file has \\u escapes; want raw UTF-8")
		}
		if !utf8.Valid(raw) {
			t.Error("pairs file is not valid UTF-8")
		}
		wantKeys := []string{"category", "ce_score", "ig_score", "n_filters_passed", "pmi_score", "similarity", "source", "target"}
		var got []Pair
		blank := 0
		sc := bufio.NewScanner(bytes.NewReader(raw))
		for line := 1; sc.Scan(); line++ {
			if len(sc.Bytes()) == 0 {
				blank++
				continue
			}
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Fatalf("line %d: %v", line, err)
			}
			keys := make([]string, 0, len(m))
			for k := range m {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			if !slices.Equal(keys, wantKeys) {
				t.Fatalf("line %d: keys %v, want %v", line, keys, wantKeys)
			}
			var p Pair
			if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
				t.Fatalf("line %d: %v", line, err)
			}
			got = append(got, p)
		}
		if blank == 0 {
			t.Error("no blank lines in the pairs file")
		}
		if !slices.Equal(got, d.Pairs) {
			t.Error("pairs read back differ from Dataset.Pairs")
		}
	})

	t.Run("terms", func(t *testing.T) {
		raw := files[source.TermsFile]
		if bytes.Contains(raw, []byte(`\u`)) {
			t.Error("term list has \\u escapes; want raw UTF-8")
		}
		var got []string
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, d.Terms) {
			t.Error("terms read back differ from Dataset.Terms")
		}
	})

	t.Run("embeddings", func(t *testing.T) {
		for _, dt := range []npy.DType{npy.Float32, npy.Float16} {
			d := *d
			d.Config.DType = dt
			dir := t.TempDir()
			if err := d.WriteDir(dir); err != nil {
				t.Fatal(err)
			}
			f, err := npy.Open(filepath.Join(dir, source.EmbeddingsFile))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if f.Rows() != len(d.Terms) || f.Cols() != d.Config.Dim || f.DType() != dt {
				t.Fatalf("%s: got %d x %d %s", dt, f.Rows(), f.Cols(), f.DType())
			}
			got := make([]float32, len(d.Embeddings))
			f.ReadFloat32(got, 0)
			tol := 0.0
			if dt == npy.Float16 {
				tol = 1.0 / 1024
			}
			for i, want := range d.Embeddings {
				if diff := math.Abs(float64(got[i] - want)); diff > tol*math.Abs(float64(want))+1e-7 {
					t.Fatalf("%s: value %d is %g, want %g", dt, i, got[i], want)
				}
			}
		}
	})
}

func TestWriteDirError(t *testing.T) {
	d, err := Generate(Config{Terms: 10, Dim: 2, DType: npy.Float32})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := d.WriteDir(filepath.Join(file, "sub")); err == nil {
		t.Error("WriteDir under a regular file succeeded")
	}
}

// checkRows checks that rows are finite, never zero and not unit length.
func checkRows(t *testing.T, d *Dataset) {
	t.Helper()
	norms := rowNorms(d)
	off := 0
	for i, n := range norms {
		if !(n > 0) || math.IsInf(n, 0) || math.IsNaN(n) {
			t.Fatalf("row %d has norm %g", i, n)
		}
		if n < normLo*0.99 || n > normHi*1.01 {
			t.Fatalf("row %d has norm %g, outside [%g, %g]", i, n, normLo, normHi)
		}
		if math.Abs(n-1) > 0.05 {
			off++
		}
	}
	for i, x := range d.Embeddings {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			t.Fatalf("value %d is %g", i, x)
		}
	}
	if len(norms) >= 100 && off < len(norms)/2 {
		t.Errorf("only %d of %d rows are off unit length by more than 5%%", off, len(norms))
	}
}

func TestNorms(t *testing.T) {
	checkRows(t, midDataset(t))
}

// checkGroups checks the synonym groups and that the in-vocabulary pairs
// connect exactly the members of each group that are not held out: no giant
// component, and no group split by what was held out.
func checkGroups(t *testing.T, d *Dataset) {
	t.Helper()
	index := make(map[string]int, len(d.Terms))
	for i, s := range d.Terms {
		index[s] = i
	}
	groupOf := make([]int, len(d.Terms))
	for i := range groupOf {
		groupOf[i] = -1
	}
	members := 0
	for g, rows := range d.Groups {
		if len(rows) < 2 || len(rows) > 10 {
			t.Fatalf("group %d has %d members", g, len(rows))
		}
		for _, r := range rows {
			if groupOf[r] >= 0 {
				t.Fatalf("term %d is in groups %d and %d", r, groupOf[r], g)
			}
			groupOf[r] = g
		}
		members += len(rows)
	}
	anchors := d.Config.anchors()
	if members != anchors {
		t.Errorf("groups hold %d terms, want %d anchors", members, anchors)
	}

	// Union-find over the in-vocabulary pairs.
	parent := make([]int, len(d.Terms))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(x int) int {
		if parent[x] != x {
			parent[x] = find(parent[x])
		}
		return parent[x]
	}
	oov := 0
	for _, p := range d.Pairs {
		s, ok1 := index[p.Source]
		g, ok2 := index[p.Target]
		if !ok1 || !ok2 {
			oov++
			continue
		}
		if groupOf[s] < 0 || groupOf[s] != groupOf[g] {
			t.Fatalf("pair %s -> %s crosses groups %d and %d", p.Source, p.Target, groupOf[s], groupOf[g])
		}
		parent[find(s)] = find(g)
	}
	if oov != d.OOVPairs || oov == 0 {
		t.Errorf("%d pairs name an out-of-vocabulary term, OOVPairs = %d; want equal and above 0", oov, d.OOVPairs)
	}
	out := make(map[int]bool)
	for _, m := range d.HeldOutMembers {
		out[m] = true
	}
	for g, rows := range d.Groups {
		for _, r := range rows[1:] {
			if !out[r] && find(r) != find(rows[0]) {
				t.Fatalf("group %d is not connected by its pairs", g)
			}
		}
	}
}

func TestGroups(t *testing.T) {
	for _, tt := range []struct {
		name string
		data func(*testing.T) *Dataset
	}{{"all listed", midDataset}, {"held out", midHeldDataset}} {
		t.Run(tt.name, func(t *testing.T) { testGroups(t, tt.data(t)) })
	}
}

// testGroups checks group sizes, the out-of-vocabulary share and the share
// of edges listed both ways over the listed pairs.
func testGroups(t *testing.T, d *Dataset) {
	checkGroups(t, d)

	small := 0
	for _, g := range d.Groups {
		if len(g) <= 3 {
			small++
		}
	}
	if share := float64(small) / float64(len(d.Groups)); share < 0.6 {
		t.Errorf("%.2f of groups have 2 or 3 members; want most", share)
	}
	if share := float64(d.OOVPairs) / float64(len(d.Pairs)); share < 0.003 || share > 0.03 {
		t.Errorf("%.4f of pairs are out of vocabulary; want about 0.01", share)
	}

	// Edges listed both ways, against edges listed once.
	type edge struct{ a, b string }
	seen := make(map[edge]int)
	for _, p := range d.Pairs {
		a, b := p.Source, p.Target
		if a > b {
			a, b = b, a
		}
		seen[edge{a, b}]++
	}
	both := 0
	for _, n := range seen {
		if n == 2 {
			both++
		}
	}
	if share := float64(both) / float64(len(seen)); share < 0.4 || share > 0.6 {
		t.Errorf("%.2f of edges are listed both ways; want about half", share)
	}
}

func TestTerms(t *testing.T) {
	// Uniqueness must hold at the real scale; a tiny Dim keeps it cheap.
	full, err := Generate(Config{Terms: 150000, Dim: 2, Seed: 1, DType: npy.Float32})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []*Dataset{midDataset(t), full} {
		seen := make(map[string]bool, len(d.Terms))
		var hangul, hanja, latin, spaced int
		for i, s := range d.Terms {
			if seen[s] {
				t.Fatalf("term %d %q is a duplicate", i, s)
			}
			seen[s] = true
			if strings.TrimSpace(s) != s || strings.Contains(s, "  ") || s == "" {
				t.Fatalf("term %d %q has stray spaces", i, s)
			}
			switch {
			case strings.Contains(s, " "):
				spaced++
				for _, w := range strings.Fields(s) {
					if !allIn(w, 0xAC00, 0xD7A3) {
						t.Fatalf("term %d %q: word %q is not Hangul", i, s, w)
					}
				}
			case allIn(s, 0xAC00, 0xD7A3):
				hangul++
			case allIn(s, 0x4E00, 0x9FFF):
				hanja++
			case allIn(s, 'a', 'z'):
				latin++
			default:
				t.Fatalf("term %d %q is of no expected script", i, s)
			}
		}
		n := float64(len(d.Terms))
		t.Logf("%d terms: Hangul %.3f, Hanja %.3f, Latin %.3f, with a space %.3f", len(d.Terms),
			float64(hangul)/n, float64(hanja)/n, float64(latin)/n, float64(spaced)/n)
		if float64(hangul)/n < 0.6 {
			t.Errorf("Hangul share %.2f; want most terms", float64(hangul)/n)
		}
		for name, c := range map[string]int{"Hanja": hanja, "Latin": latin, "spaced": spaced} {
			if share := float64(c) / n; share < 0.01 || share > 0.2 {
				t.Errorf("%s share %.3f; want a few percent", name, share)
			}
		}
	}
}

func allIn(s string, lo, hi rune) bool {
	for _, r := range s {
		if r < lo || r > hi {
			return false
		}
	}
	return s != ""
}
