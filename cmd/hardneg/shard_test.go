package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
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

// TestShardedRunsMatchUnsharded mines in 1, 3 and 7 shards, merges, and
// wants every output file byte-identical to one unsharded run.
func TestShardedRunsMatchUnsharded(t *testing.T) {
	data := synthData(t)
	for _, tc := range []struct {
		n     int
		extra []string
	}{
		{1, nil},
		{3, nil},
		{7, nil},
		{3, []string{"--seed", "7", "--quota", "notebook", "--store", "f16", "--parquet", "-n", "4", "--hard-range", "0.7,0.85", "--split-by", "component", "--exclude", "hops:2", "--exclude-contains", "2", "--max-negative-reuse", "3"}},
	} {
		t.Run(fmt.Sprintf("N=%d %s", tc.n, strings.Join(tc.extra, " ")), func(t *testing.T) {
			full := t.TempDir()
			runCLI(t, append([]string{"mine", "--data-dir", data, "--out", full, "-q"}, tc.extra...)...)
			shards := mineShards(t, data, tc.n, tc.extra...)
			merged := filepath.Join(t.TempDir(), "merged")
			runCLI(t, "merge", "--out", merged, "-q", shards)
			want, got := treeBytes(t, full), treeBytes(t, merged)
			if len(want) < 8 || len(want) != len(got) {
				t.Fatalf("unsharded run wrote %d files, the merge %d", len(want), len(got))
			}
			for name, b := range want {
				if !bytes.Equal(b, got[name]) {
					t.Errorf("%s differs between the unsharded run and the merge of %d shards", name, tc.n)
				}
			}
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
	name := func(k, n int) string { return mine.ShardFileName(k, n) }
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
		}, exitInput, "missing shard(s) 1 of 3"},
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
		{"out of range", "env/7", "7", "", 0, `JOB_COMPLETION_INDEX="7" is not a shard index in 0..6`},
		{"not a number", "env/7", "", "x", 0, `SLURM_ARRAY_TASK_ID="x"`},
		{"negative", "env/3", "-1", "", 0, "not a shard index"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("JOB_COMPLETION_INDEX", tc.job)
			t.Setenv("SLURM_ARRAY_TASK_ID", tc.slurm)
			var s shardFlag
			if err := s.Set(tc.spec); err != nil {
				t.Fatal(err)
			}
			k, n, err := s.resolve(os.Getenv)
			if tc.errContains != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errContains) || exitCode(err) != exitUsage {
					t.Fatalf("got %d, %v (exit %d), want an error mentioning %q (exit %d)", k, err, exitCode(err), tc.errContains, exitUsage)
				}
				return
			}
			if err != nil || k != tc.k || n != 7 {
				t.Fatalf("got %d/%d, %v, want %d/7", k, n, err, tc.k)
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

func TestShardFlagErrors(t *testing.T) {
	data := tinyData(t)
	for _, spec := range []string{"3/3", "-1/3", "1/0", "x", "1", "1/x", "env", "env/0"} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), &stdout, &stderr, []string{"mine", "--data-dir", data, "--shard", spec, "-q"})
		if exitCode(err) != exitUsage {
			t.Errorf("--shard %s: exit %d (%v), want %d", spec, exitCode(err), err, exitUsage)
		}
	}
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), &stdout, &stderr, []string{"merge", "--out", t.TempDir()}); exitCode(err) != exitUsage {
		t.Errorf("merge without shards: exit %d (%v), want %d", exitCode(err), err, exitUsage)
	}
}
