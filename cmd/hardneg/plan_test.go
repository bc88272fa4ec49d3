package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// TestPlanCommand runs plan on the BEIR test set with mine's flags and
// checks what it promises: the grids asked for, the anchors of the whole
// run, a recommendation for a deadline, JSON that parses, and refusals of
// a bad grid or speed.
func TestPlanCommand(t *testing.T) {
	data := beirDir(t)
	var stdout, stderr bytes.Buffer
	args := []string{"plan", "--beir-dir", data, "--no-bands", "--range-max", "50", "--sampling", "top", "--threads", "2",
		"--max-memory", "2GiB", "--grid", "2x3", "--deadline", "1h", "--json"}
	if err := run(context.Background(), &stdout, &stderr, args); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	var got struct {
		Anchors int `json:"anchors"`
		Grids   []struct {
			N    int `json:"query_shards"`
			M    int `json:"corpus_shards"`
			Task struct {
				Anchors int     `json:"anchors"`
				Seconds float64 `json:"seconds"`
			} `json:"largest_task"`
			Wall float64 `json:"wall_seconds"`
		} `json:"grids"`
		Recommended *struct {
			N int `json:"query_shards"`
			M int `json:"corpus_shards"`
		} `json:"recommended"`
		Meets bool `json:"meets_deadline"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
	if got.Anchors == 0 || len(got.Grids) < 2 || got.Grids[0].N != 1 || got.Grids[0].M != 1 || got.Grids[0].Task.Anchors != got.Anchors {
		t.Fatalf("plan: %+v", got)
	}
	if g := got.Grids[1]; g.N != 2 || g.M != 3 || g.Task.Anchors >= got.Anchors || g.Task.Seconds >= got.Grids[0].Task.Seconds {
		t.Errorf("the 2x3 grid's task: %+v, against the whole run's %+v", g, got.Grids[0])
	}
	if got.Recommended == nil || !got.Meets || got.Recommended.N*got.Recommended.M != 1 {
		t.Errorf("a 1 h deadline for a run of %.1f s: recommended %+v (meets %v), want 1x1", got.Grids[0].Wall, got.Recommended, got.Meets)
	}

	stdout.Reset()
	if err := run(context.Background(), &stdout, &stderr, []string{"plan", "--beir-dir", data, "--deadline", "1h"}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"grid", "1x1", "4x4", "one run: read", "* recommended for --deadline 1h0m0s: --grid I/1x1"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("plan's text output lacks %q:\n%s", want, stdout.String())
		}
	}
	for _, bad := range [][]string{{"--grid", "0x2"}, {"--grid", "3"}, {"--speeds", "scan-gflops=0"}, {"--speeds", "warp=9"}, {"--shard", "0/2"}} {
		err := run(context.Background(), &stdout, &stderr, append([]string{"plan", "--beir-dir", data}, bad...))
		if exitCode(err) != exitUsage {
			t.Errorf("plan %v: exit %d (%v), want %d", bad, exitCode(err), err, exitUsage)
		}
	}
}
