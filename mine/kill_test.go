//go:build unix

package mine

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hardneg/hardneg/output"
)

// TestKilledShardTaskLeavesNothingMergeTakes kills a shard task with
// SIGKILL at the worst moment, its shard file written in full under the
// temporary name but not yet renamed, as a preempted Slurm task or an
// evicted Kubernetes pod may be. The merge must not take the leftover for
// the cell, and the retried task, run as the batch system would (without
// --force), must complete the grid into the bytes of one Run.
func TestKilledShardTaskLeavesNothingMergeTakes(t *testing.T) {
	if data, out := os.Getenv("HARDNEG_TEST_KILLED_DATA"), os.Getenv("HARDNEG_TEST_KILLED_OUT"); data != "" {
		// The child: kill itself just before the rename.
		testHookBeforeRename = func() {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			time.Sleep(time.Minute)
		}
		cfg := DefaultSettings(data)
		cfg.OutDir = out
		RunShard(context.Background(), cfg, Cell{K: 1, N: 2, J: 1, M: 2}, Hooks{})
		os.Exit(0) // not reached
	}

	data := smallData(t)
	cfg := DefaultSettings(data)
	cfg.OutDir = t.TempDir()
	if _, err := Run(context.Background(), cfg, Hooks{}); err != nil {
		t.Fatal(err)
	}
	shards := t.TempDir()
	c := cfg
	c.OutDir = shards
	for _, cell := range []Cell{{0, 2, 0, 2}, {0, 2, 1, 2}, {1, 2, 0, 2}} {
		if _, err := RunShard(context.Background(), c, cell, Hooks{}); err != nil {
			t.Fatal(err)
		}
	}
	child := exec.Command(os.Args[0], "-test.run=^TestKilledShardTaskLeavesNothingMergeTakes$")
	child.Env = append(os.Environ(), "HARDNEG_TEST_KILLED_DATA="+data, "HARDNEG_TEST_KILLED_OUT="+shards)
	out, err := child.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("the child task ended with %v, not SIGKILL:\n%s", err, out)
	}
	entries, err := os.ReadDir(shards)
	if err != nil {
		t.Fatal(err)
	}
	var leftovers int
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), output.StagingPrefix) {
			leftovers++
		}
	}
	if leftovers != 1 || len(entries) != 4 {
		t.Fatalf("after the kill the shard folder holds %d entries with %d leftovers, want the 3 finished cells and 1 leftover", len(entries), leftovers)
	}

	// The leftover holds the whole cell, but the merge must not take it.
	merged := filepath.Join(t.TempDir(), "merged")
	_, err = Merge(context.Background(), MergeConfig{OutDir: merged}, []string{shards}, Hooks{})
	if want := (Cell{K: 1, N: 2, J: 1, M: 2}).FileName(); !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), "missing cell (1, 1)") || !strings.Contains(err.Error(), want) {
		t.Fatalf("merge after the kill: %v, want ErrInput naming the missing cell %s", err, want)
	}

	// The retry, without Force, completes the grid.
	if _, err := RunShard(context.Background(), c, Cell{K: 1, N: 2, J: 1, M: 2}, Hooks{}); err != nil {
		t.Fatalf("retried task: %v", err)
	}
	if _, err := Merge(context.Background(), MergeConfig{OutDir: merged}, []string{shards}, Hooks{}); err != nil {
		t.Fatalf("merge after the retry: %v", err)
	}
	for _, name := range []string{cfg.Spec().TrainJSONL, cfg.Spec().ValJSONL} {
		want, _ := os.ReadFile(filepath.Join(cfg.OutDir, name))
		got, _ := os.ReadFile(filepath.Join(merged, name))
		if len(want) == 0 || !bytes.Equal(want, got) {
			t.Errorf("%s differs between Run and the merge after a killed and retried task", name)
		}
	}
}
