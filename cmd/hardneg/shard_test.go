package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hardneg/hardneg/mine"
	"github.com/hardneg/hardneg/source"
)

// mineShards runs every shard of n through the CLI into a new folder and
// returns it.
func mineShards(t *testing.T, data string, n int, extra ...string) string {
	t.Helper()
	dir := t.TempDir()
	for k := range n {
		runCLI(t, append([]string{"mine", "--data-dir", data, "--out", dir, "--shard", fmt.Sprintf("%d/%d", k, n), "-q"}, extra...)...)
	}
	return dir
}

// mineGrid runs every cell of an n x m grid through the CLI with --grid
// into a new folder and returns it.
func mineGrid(t *testing.T, args []string, n, m int) string {
	t.Helper()
	dir := t.TempDir()
	for i := range n * m {
		runCLI(t, append(slices.Clone(args), "--out", dir, "--grid", fmt.Sprintf("%d/%dx%d", i, n, m), "-q")...)
	}
	return dir
}

// sameTree fails the test for every file of want that got lacks or holds
// other bytes.
func sameTree(t *testing.T, want, got map[string][]byte, what string) {
	t.Helper()
	if len(want) < 2 || len(want) != len(got) {
		t.Fatalf("%s: want %d files, got %d", what, len(want), len(got))
	}
	for name, b := range want {
		if !bytes.Equal(b, got[name]) {
			t.Errorf("%s differs between the unsharded run and %s", name, what)
		}
	}
}

// TestShardedRunsMatchUnsharded mines in 1, 3 and 7 query shards, and in
// grids of query shards by corpus shards, merges, and wants every output
// file byte-identical to one unsharded run.
func TestShardedRunsMatchUnsharded(t *testing.T) {
	data := synthData(t)
	for _, tc := range []struct {
		n, m  int
		grid  bool // --grid rather than --shard
		extra []string
	}{
		{1, 1, false, nil},
		{3, 1, false, nil},
		{7, 1, false, nil},
		{3, 1, false, []string{"--seed", "7", "--quota", "notebook", "--store", "f16", "--parquet", "-n", "4", "--hard-range", "0.7,0.85", "--split-by", "component", "--exclude", "hops:2", "--exclude-contains", "2", "--max-negative-reuse", "3"}},
		{1, 1, true, nil},
		{3, 1, true, nil},
		{1, 4, true, nil},
		{3, 4, true, nil},
		{3, 4, true, []string{"--seed", "7", "--quota", "notebook", "--store", "f16", "--parquet", "-n", "4", "--hard-range", "0.7,0.85", "--split-by", "component", "--exclude", "hops:2", "--exclude-contains", "2", "--max-negative-reuse", "3", "--chunk-rows", "50"}},
		{2, 3, true, []string{"--no-bands", "--range-min", "3", "--range-max", "40", "--sampling", "simans", "--relative-margin", "0.05", "--exclude-near-duplicates", "0.97", "--format", "n-tuple", "--with-scores"}},
	} {
		t.Run(fmt.Sprintf("%dx%d grid=%v %s", tc.n, tc.m, tc.grid, strings.Join(tc.extra, " ")), func(t *testing.T) {
			full := t.TempDir()
			runCLI(t, append([]string{"mine", "--data-dir", data, "--out", full, "-q"}, tc.extra...)...)
			var shards string
			if tc.grid {
				shards = mineGrid(t, append([]string{"mine", "--data-dir", data}, tc.extra...), tc.n, tc.m)
			} else {
				shards = mineShards(t, data, tc.n, tc.extra...)
			}
			merged := filepath.Join(t.TempDir(), "merged")
			runCLI(t, "merge", "--out", merged, "-q", shards)
			sameTree(t, treeBytes(t, full), treeBytes(t, merged), fmt.Sprintf("the merge of %d x %d shards", tc.n, tc.m))
		})
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestMergeRefuses breaks a set of shard files one way at a time and wants
// the documented exit code, a message naming the problem, and nothing
// written.
func TestMergeRefuses(t *testing.T) {
	data := synthData(t)
	good := mineShards(t, data, 3)
	seed7 := mineShards(t, data, 3, "--seed", "7")
	two := mineShards(t, data, 2)
	grid := mineGrid(t, []string{"mine", "--data-dir", data}, 2, 2)
	grid23 := mineGrid(t, []string{"mine", "--data-dir", data}, 2, 3)
	name := func(k, n int) string { return mine.ShardFileName(k, n) }
	cell := func(dir string, k, n, j, m int) string {
		return filepath.Join(dir, mine.Cell{K: k, N: n, J: j, M: m}.FileName())
	}
	cells := func(dir string, n, m int, skip ...int) []string {
		var paths []string
		for i := range n * m {
			if !slices.Contains(skip, i) {
				paths = append(paths, cell(dir, i/m, n, i%m, m))
			}
		}
		return paths
	}
	// prepare fills dir with shard files and may change other things; it
	// returns the merge's extra arguments.
	for _, tc := range []struct {
		name    string
		prepare func(t *testing.T, dir string) []string
		code    int
		msg     string
	}{
		{"missing shard", func(t *testing.T, dir string) []string {
			copyFile(t, filepath.Join(good, name(0, 3)), filepath.Join(dir, name(0, 3)))
			copyFile(t, filepath.Join(good, name(2, 3)), filepath.Join(dir, name(2, 3)))
			return []string{dir}
		}, exitInput, "missing shard 1 of 3 (shard-00001-of-00003.hnshard)"},
		{"missing cell", func(t *testing.T, dir string) []string {
			return cells(grid, 2, 2, 3)
		}, exitInput, "missing cell (1, 1) of 2 x 2 (query shard 1 of 2, corpus shard 1 of 2) (shard-q00001-of-00002-c00001-of-00002.hnshard)"},
		{"missing cells", func(t *testing.T, dir string) []string {
			return cells(grid23, 2, 3, 0, 4)
		}, exitInput, "missing cell (0, 0) of 2 x 3"},
		{"repeated cell", func(t *testing.T, dir string) []string {
			copyFile(t, cell(grid, 0, 2, 1, 2), filepath.Join(dir, "again"+mine.ShardExt))
			return append(cells(grid, 2, 2), dir)
		}, exitInput, "cell (0, 1) of 2 x 2 (query shard 0 of 2, corpus shard 1 of 2) is given twice"},
		{"extra cell of another grid", func(t *testing.T, dir string) []string {
			return append(cells(grid, 2, 2), cell(grid23, 0, 2, 2, 3))
		}, exitUsage, "merge the shards of one run"},
		{"query shards and a grid", func(t *testing.T, dir string) []string {
			return []string{good, grid}
		}, exitUsage, "merge the shards of one run"},
		{"duplicate shard", func(t *testing.T, dir string) []string {
			for k := range 3 {
				copyFile(t, filepath.Join(good, name(k, 3)), filepath.Join(dir, name(k, 3)))
			}
			copyFile(t, filepath.Join(good, name(1, 3)), filepath.Join(dir, "again"+mine.ShardExt))
			return []string{dir}
		}, exitInput, "shard 1 of 3 is given twice"},
		{"same file twice", func(t *testing.T, dir string) []string {
			return []string{filepath.Join(good, name(0, 3)), filepath.Join(good, name(1, 3)), filepath.Join(good, name(2, 3)), filepath.Join(good, name(2, 3))}
		}, exitInput, "given twice"},
		{"different seed", func(t *testing.T, dir string) []string {
			return []string{filepath.Join(good, name(0, 3)), filepath.Join(seed7, name(1, 3)), filepath.Join(good, name(2, 3))}
		}, exitUsage, "different settings: seed 42 and 7"},
		{"different N", func(t *testing.T, dir string) []string {
			return []string{filepath.Join(good, name(0, 3)), filepath.Join(two, name(1, 2))}
		}, exitUsage, "shard 1 of 2"},
		{"corrupt", func(t *testing.T, dir string) []string {
			b, _ := os.ReadFile(filepath.Join(good, name(1, 3)))
			b[len(b)/2] ^= 0x40
			os.WriteFile(filepath.Join(dir, name(1, 3)), b, 0o644)
			copyFile(t, filepath.Join(good, name(0, 3)), filepath.Join(dir, name(0, 3)))
			copyFile(t, filepath.Join(good, name(2, 3)), filepath.Join(dir, name(2, 3)))
			return []string{dir}
		}, exitInput, name(1, 3) + ": malformed shard file: checksum mismatch"},
		{"truncated", func(t *testing.T, dir string) []string {
			b, _ := os.ReadFile(filepath.Join(good, name(2, 3)))
			os.WriteFile(filepath.Join(dir, name(2, 3)), b[:len(b)-100], 0o644)
			return []string{filepath.Join(good, name(0, 3)), filepath.Join(good, name(1, 3)), filepath.Join(dir, name(2, 3))}
		}, exitInput, "truncated or corrupt"},
		{"not a shard file", func(t *testing.T, dir string) []string {
			os.WriteFile(filepath.Join(dir, name(0, 3)), []byte("hello\n"), 0o644)
			return []string{filepath.Join(dir, name(0, 3))}
		}, exitInput, "not a hardneg shard file"},
		{"no such file", func(t *testing.T, dir string) []string {
			return []string{filepath.Join(dir, "nothing"+mine.ShardExt)}
		}, exitInput, "no such file"},
		{"empty folder", func(t *testing.T, dir string) []string {
			return []string{dir}
		}, exitInput, "holds no *" + mine.ShardExt},
		{"changed pairs file (--pairs)", func(t *testing.T, dir string) []string {
			b, _ := os.ReadFile(filepath.Join(data, source.PairsFile))
			changed := filepath.Join(dir, "pairs.jsonl")
			os.WriteFile(changed, append(b, "\n"...), 0o644)
			return []string{good, "--pairs", changed}
		}, exitInput, "changed since the shards were mined"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(t.TempDir(), "out")
			args := append([]string{"merge", "--out", out, "-q"}, tc.prepare(t, dir)...)
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), &stdout, &stderr, args)
			if exitCode(err) != tc.code || err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error %v (exit %d), want exit %d mentioning %q", err, exitCode(err), tc.code, tc.msg)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Fatalf("a refused merge created %s (%v)", out, err)
			}
		})
	}

	// The pairs file itself changed after the shards were mined: the merge
	// reads it from the recorded path and refuses.
	t.Run("changed pairs file", func(t *testing.T) {
		data := synthData(t)
		shards := mineShards(t, data, 2)
		pairs := filepath.Join(data, source.PairsFile)
		b, _ := os.ReadFile(pairs)
		if err := os.WriteFile(pairs, bytes.Replace(b, []byte("\n"), []byte("\n\n"), 1), 0o644); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), "out")
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), &stdout, &stderr, []string{"merge", "--out", out, "-q", shards})
		if exitCode(err) != exitInput || !strings.Contains(err.Error(), pairs) {
			t.Fatalf("error %v (exit %d), want exit %d naming %s", err, exitCode(err), exitInput, pairs)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Fatalf("a refused merge created %s (%v)", out, err)
		}
	})

	// Existing outputs need --force, as for mine.
	t.Run("existing outputs", func(t *testing.T) {
		out := t.TempDir()
		stats := filepath.Join(out, mine.StatsFile)
		os.WriteFile(stats, []byte("earlier"), 0o644)
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), &stdout, &stderr, []string{"merge", "--out", out, "-q", good})
		if exitCode(err) != exitOutputExist {
			t.Fatalf("error %v (exit %d), want exit %d", err, exitCode(err), exitOutputExist)
		}
		if b, _ := os.ReadFile(stats); string(b) != "earlier" {
			t.Fatal("a refused merge changed an existing output")
		}
		runCLI(t, "merge", "--out", out, "-q", "--force", good)
		if b, _ := os.ReadFile(stats); string(b) == "earlier" {
			t.Fatal("--force did not replace the output")
		}
	})
}

func TestShardFileNeedsForce(t *testing.T) {
	data := tinyData(t)
	out := t.TempDir()
	runCLI(t, "mine", "--data-dir", data, "--out", out, "--shard", "0/2", "-q")
	path := filepath.Join(out, mine.ShardFileName(0, 2))
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	err = run(context.Background(), &stdout, &stderr, []string{"mine", "--data-dir", data, "--out", out, "--shard", "0/2", "-q", "--seed", "9"})
	if exitCode(err) != exitOutputExist {
		t.Fatalf("error %v (exit %d), want exit %d", err, exitCode(err), exitOutputExist)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, before) {
		t.Fatal("a refused shard run changed the shard file")
	}
	runCLI(t, "mine", "--data-dir", data, "--out", out, "--shard", "0/2", "-q", "--seed", "9", "--force")
	if after, _ := os.ReadFile(path); bytes.Equal(after, before) {
		t.Fatal("--force did not replace the shard file")
	}
	entries, _ := os.ReadDir(out)
	if len(entries) != 1 {
		t.Fatalf("the output folder holds %d entries, want the shard file alone", len(entries))
	}
}

// TestShardIndexFromEnv takes K from the batch system's variables.
func TestShardIndexFromEnv(t *testing.T) {
	for _, tc := range []struct {
		name        string
		spec        string
		job, slurm  string
		k           int
		errContains string
	}{
		{"kubernetes", "env/7", "3", "", 3, ""},
		{"slurm", "env/7", "", "6", 6, ""},
		{"kubernetes first", "env/7", "2", "5", 2, ""},
		{"explicit", "4/7", "2", "5", 4, ""},
		{"neither", "env/7", "", "", 0, "neither JOB_COMPLETION_INDEX nor SLURM_ARRAY_TASK_ID is set"},
		{"out of range", "env/7", "7", "", 0, `JOB_COMPLETION_INDEX="7" is not a task index in 0..6`},
		{"not a number", "env/7", "", "x", 0, `SLURM_ARRAY_TASK_ID="x"`},
		{"negative", "env/3", "-1", "", 0, "not a task index"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("JOB_COMPLETION_INDEX", tc.job)
			t.Setenv("SLURM_ARRAY_TASK_ID", tc.slurm)
			f := newTaskFlags()
			if err := f.shard.Set(tc.spec); err != nil {
				t.Fatal(err)
			}
			c, err := f.cell(os.Getenv)
			if tc.errContains != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errContains) || exitCode(err) != exitUsage {
					t.Fatalf("got %v, %v (exit %d), want an error mentioning %q (exit %d)", c, err, exitCode(err), tc.errContains, exitUsage)
				}
				return
			}
			if want := (mine.Cell{K: tc.k, N: 7, J: 0, M: 1}); err != nil || c != want {
				t.Fatalf("got %v, %v, want %v", c, err, want)
			}
		})
	}

	t.Run("through the CLI", func(t *testing.T) {
		data := tinyData(t)
		out := t.TempDir()
		t.Setenv("JOB_COMPLETION_INDEX", "")
		t.Setenv("SLURM_ARRAY_TASK_ID", "1")
		runCLI(t, "mine", "--data-dir", data, "--out", out, "--shard", "env/3", "-q")
		if _, err := os.Stat(filepath.Join(out, mine.ShardFileName(1, 3))); err != nil {
			t.Fatal(err)
		}
		t.Setenv("SLURM_ARRAY_TASK_ID", "")
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), &stdout, &stderr, []string{"mine", "--data-dir", data, "--out", out, "--shard", "env/3", "-q"})
		if exitCode(err) != exitUsage {
			t.Fatalf("error %v (exit %d), want exit %d", err, exitCode(err), exitUsage)
		}
	})
}

// TestGridFlags wants --grid I/NxM to name cell (I/M, I%M), from the
// environment with env/NxM, and --shard with --corpus-shard to name the
// same cells.
func TestGridFlags(t *testing.T) {
	t.Setenv("JOB_COMPLETION_INDEX", "")
	for i := range 12 {
		want := mine.Cell{K: i / 4, N: 3, J: i % 4, M: 4}
		f := newTaskFlags()
		if err := f.grid.Set(fmt.Sprintf("%d/3x4", i)); err != nil {
			t.Fatal(err)
		}
		if c, err := f.cell(os.Getenv); err != nil || c != want {
			t.Errorf("--grid %d/3x4: got %v, %v, want %v", i, c, err, want)
		}
		t.Setenv("SLURM_ARRAY_TASK_ID", fmt.Sprint(i))
		f = newTaskFlags()
		if err := f.grid.Set("env/3X4"); err != nil {
			t.Fatal(err)
		}
		if c, err := f.cell(os.Getenv); err != nil || c != want {
			t.Errorf("--grid env/3x4 with task %d: got %v, %v, want %v", i, c, err, want)
		}
		f = newTaskFlags()
		if err := f.shard.Set(fmt.Sprintf("%d/3", i/4)); err != nil {
			t.Fatal(err)
		}
		if err := f.corpus.Set(fmt.Sprintf("%d/4", i%4)); err != nil {
			t.Fatal(err)
		}
		if c, err := f.cell(os.Getenv); err != nil || c != want {
			t.Errorf("--shard %d/3 --corpus-shard %d/4: got %v, %v, want %v", i/4, i%4, c, err, want)
		}
	}
	f := newTaskFlags()
	if err := f.corpus.Set("2/5"); err != nil {
		t.Fatal(err)
	}
	if c, err := f.cell(os.Getenv); err != nil || c != (mine.Cell{K: 0, N: 1, J: 2, M: 5}) {
		t.Errorf("--corpus-shard 2/5 alone: got %v, %v, want query shard 0 of 1", c, err)
	}
	t.Setenv("SLURM_ARRAY_TASK_ID", "12")
	f = newTaskFlags()
	if err := f.grid.Set("env/3x4"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.cell(os.Getenv); err == nil || !strings.Contains(err.Error(), "not a task index in 0..11") {
		t.Errorf("task 12 of a 3x4 grid: %v, want it refused", err)
	}
}

func TestShardFlagErrors(t *testing.T) {
	data := tinyData(t)
	for _, tc := range []struct{ flag, spec string }{
		{"shard", "3/3"}, {"shard", "-1/3"}, {"shard", "1/0"}, {"shard", "x"}, {"shard", "1"}, {"shard", "1/x"},
		{"shard", "env"}, {"shard", "env/0"},
		{"corpus-shard", "env/3"}, {"corpus-shard", "3/3"}, {"corpus-shard", "1/0"},
		{"grid", "12/3x4"}, {"grid", "1/3"}, {"grid", "1/3x0"}, {"grid", "env/x4"}, {"grid", "-1/2x2"},
	} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), &stdout, &stderr, []string{"mine", "--data-dir", data, "--" + tc.flag, tc.spec, "-q"})
		if exitCode(err) != exitUsage {
			t.Errorf("--%s %s: exit %d (%v), want %d", tc.flag, tc.spec, exitCode(err), err, exitUsage)
		}
	}
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), &stdout, &stderr, []string{"mine", "--data-dir", data, "--out", t.TempDir(), "--grid", "0/2x2", "--shard", "0/2", "-q"})
	if exitCode(err) != exitUsage || !strings.Contains(err.Error(), "without --shard") {
		t.Errorf("--grid with --shard: exit %d (%v), want %d", exitCode(err), err, exitUsage)
	}
	stdout.Reset()
	if err := run(context.Background(), &stdout, &stderr, []string{"merge", "--out", t.TempDir()}); exitCode(err) != exitUsage {
		t.Errorf("merge without shards: exit %d (%v), want %d", exitCode(err), err, exitUsage)
	}
}
