package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hardneg/hardneg/choose"
	"github.com/hardneg/hardneg/mine"
	"github.com/hardneg/hardneg/source"
)

// TestPrintConfigRoundTrip runs mine with non-default settings, prints its
// config, runs again from that file alone (output folder overridden on the
// command line) and wants byte-identical outputs.
func TestPrintConfigRoundTrip(t *testing.T) {
	data := synthData(t)
	out1, out2 := t.TempDir(), t.TempDir()
	args := []string{"mine", "--data-dir", data, "--out", out1, "--hard-range", "0.7,0.85", "--easy-ratio", "0.4",
		"--medium-ratio", "0.3", "--hard-ratio", "0.3", "--seed", "7", "--quota", "notebook", "-n", "4", "--train-ratio", "0.8", "--val-ratio", "0.2"}
	runCLI(t, append(args, "-q")...)
	conf := filepath.Join(t.TempDir(), "run.yaml")
	if err := os.WriteFile(conf, []byte(runCLI(t, append(args, "--print-config")...)), 0o644); err != nil {
		t.Fatal(err)
	}
	runCLI(t, "mine", "--config", conf, "--out", out2, "-q")
	a, b := treeBytes(t, out1), treeBytes(t, out2)
	if len(a) == 0 || len(a) != len(b) {
		t.Fatalf("%d and %d files", len(a), len(b))
	}
	for name, content := range a {
		if !bytes.Equal(content, b[name]) {
			t.Errorf("%s differs after the round trip through --print-config", name)
		}
	}
	// The same file without the override would write into out1, which
	// exists: the file's own settings are in force.
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), &stdout, &stderr, []string{"mine", "--config", conf, "-q"})
	if exitCode(err) != exitOutputExist {
		t.Fatalf("rerun into the configured folder: %v (exit %d), want exit %d", err, exitCode(err), exitOutputExist)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct{ name, content, msg string }{
		{"unknown key", "seed: 1\nfrobnicate: 2\n", `line 2: "frobnicate" is not a setting`},
		{"bad value", "seed: -3\n", "line 1: seed"},
		{"not a mapping", "- seed\n", "want a mapping"},
		{"nested value", "seed:\n  a: 1\n", "line 2: seed: want a single value"},
		{"print-config in file", "print-config: true\n", "not a setting"},
		{"bad yaml", "seed: [1\n", "config"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conf := filepath.Join(t.TempDir(), "c.yaml")
			if err := os.WriteFile(conf, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), &stdout, &stderr, []string{"mine", "--data-dir", t.TempDir(), "--config", conf})
			if exitCode(err) != exitUsage || !strings.Contains(err.Error(), tc.msg) || !strings.Contains(err.Error(), conf) {
				t.Fatalf("error %v (exit %d), want exit %d naming %s and %q", err, exitCode(err), exitUsage, conf, tc.msg)
			}
		})
	}
}

func TestProgressLog(t *testing.T) {
	var buf bytes.Buffer
	p := &progressLog{w: &buf, every: 0}
	p.start(100)
	p.add(25)
	p.add(75) // the end is not reported: the stage line follows
	if got := buf.String(); !strings.HasPrefix(got, "scan 25% done, about ") || strings.Count(got, "\n") != 1 {
		t.Fatalf("progress log %q", got)
	}
	buf.Reset()
	p = &progressLog{w: &buf, every: time.Hour}
	p.start(100)
	p.add(50)
	if buf.Len() != 0 {
		t.Fatalf("progress logged before its interval: %q", buf.String())
	}
}

// TestProgressJSON checks the machine-readable progress lines: a first
// line at the start, none within the interval, and the final count once.
func TestProgressJSON(t *testing.T) {
	var buf bytes.Buffer
	p := &progressJSON{w: &buf, every: time.Hour}
	p.start(100)
	p.add(40)
	p.add(60)
	p.done()
	p.done()
	want := "{\"stage\": \"scan\", \"done\": 0, \"total\": 100}\n{\"stage\": \"scan\", \"done\": 100, \"total\": 100}\n"
	if got := buf.String(); got != want {
		t.Fatalf("progress lines %q, want %q", got, want)
	}
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var v struct {
			Stage       string
			Done, Total int
		}
		if err := json.Unmarshal([]byte(line), &v); err != nil || v.Stage != "scan" {
			t.Fatalf("line %q is not a progress object: %v", line, err)
		}
	}
	if _, err := mineHooks(&buf, false, "bars"); err == nil {
		t.Fatal("--progress bars was accepted")
	}
}

// TestQuietKeepsJSONProgress runs -q --progress json and wants the
// progress lines on stderr and nothing else.
func TestQuietKeepsJSONProgress(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), &stdout, &stderr, []string{"mine", "--data-dir", synthData(t), "--out", t.TempDir(), "-q", "--progress", "json"}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if len(lines) < 2 || stdout.Len() != 0 {
		t.Fatalf("-q --progress json: stdout %q, stderr %q; want progress lines alone", stdout.String(), stderr.String())
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, `{"stage": "scan"`) {
			t.Fatalf("-q --progress json printed %q besides progress lines", l)
		}
	}
}

// TestBandsAsAList mines with four named bands given by --band, checks every
// row's label against its similarity and the mix against the ratios, and
// replays the run from --print-config.
func TestBandsAsAList(t *testing.T) {
	data := synthData(t)
	out1, out2 := t.TempDir(), t.TempDir()
	args := []string{"mine", "--data-dir", data, "--out", out1,
		"--band", "far:0.25:0.4:0.25", "--band", "near:0.4:0.55:0.25", "--band", "close:0.6:0.75:0.3", "--band", "twin:0.75:0.9:0.2"}
	runCLI(t, append(args, "-q")...)
	bands := []choose.Band{{Name: "far", Lo: 0.25, Hi: 0.4, Ratio: 0.25}, {Name: "near", Lo: 0.4, Hi: 0.55, Ratio: 0.25},
		{Name: "close", Lo: 0.6, Hi: 0.75, Ratio: 0.3}, {Name: "twin", Lo: 0.75, Hi: 0.9, Ratio: 0.2}}
	rows := slices.Concat(readJSONL(t, filepath.Join(out1, triplets.TrainJSONL)), readJSONL(t, filepath.Join(out1, triplets.ValJSONL)))
	count := map[string]int{}
	for _, r := range rows {
		if want := bandOf(bands, r.Similarity); r.Difficulty != want {
			t.Fatalf("similarity %v labelled %q, its band is %q", r.Similarity, r.Difficulty, want)
		}
		count[r.Difficulty]++
	}
	for _, b := range bands {
		share := 100 * float64(count[b.Name]) / float64(len(rows))
		if math.Abs(share-100*b.Ratio) > 1 {
			t.Errorf("band %s: %.2f%% of triplets, want %.0f%% ± 1", b.Name, share, 100*b.Ratio)
		}
	}
	conf := filepath.Join(t.TempDir(), "run.yaml")
	if err := os.WriteFile(conf, []byte(runCLI(t, append(args, "--print-config")...)), 0o644); err != nil {
		t.Fatal(err)
	}
	runCLI(t, "mine", "--config", conf, "--out", out2, "-q")
	a, b := treeBytes(t, out1), treeBytes(t, out2)
	for name, content := range a {
		if !bytes.Equal(content, b[name]) {
			t.Errorf("%s differs after the round trip through --print-config", name)
		}
	}
}

func TestBandFlagErrors(t *testing.T) {
	data := t.TempDir()
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--band", "a:0.3:0.5"}, "want NAME:LO:HI:RATIO"},
		{[]string{"--band", "a:0.3:x:1"}, `"x" is not a number`},
		{[]string{"--band", "a:0.3:0.6:0.5", "--band", "b:0.5:0.7:0.5"}, "bands a [0.3, 0.6) and b [0.5, 0.7) overlap"},
		{[]string{"--band", "a:0.3:0.6:0.5", "--band", "b:0.6:0.7:0.4"}, "sum to"},
		{[]string{"--band", "a:0.3:0.6:1", "--easy-range", "0.3,0.4"}, "do not mix"},
		{[]string{"--format", "ntuple", "--split-by", "row"}, "split by anchor or component"},
		{[]string{"--format", "csv"}, `format "csv"`},
		{[]string{"--split-by", "term"}, "--split-by"},
		{[]string{"--dump-excluded", "x.jsonl", "--shard", "0/2"}, "run it without --shard"},
		{[]string{"--max-neg-ratio", "0.95"}, "this flag was retired; use --relative-margin 0.05"},
		{[]string{"--range-min", "8", "--range-max", "10"}, "only 2 candidates"},
		{[]string{"--beir-dir", "x"}, "not both"},
		{[]string{"!", "--beir-dir", "x"}, "give --out"},
		{[]string{"!", "--corpus", "c.jsonl"}, "need --corpus-embeddings, --queries, --query-embeddings, --qrels too"},
		{[]string{"!", "--beir-dir", "x", "--out", "o", "--exclude-contains", "2"}, "for documents use --exclude-near-duplicates"},
	} {
		var stdout, stderr bytes.Buffer
		args := append([]string{"mine", "--data-dir", data}, tc.args...)
		if tc.args[0] == "!" { // without --data-dir
			args = append([]string{"mine"}, tc.args[1:]...)
		}
		err := run(context.Background(), &stdout, &stderr, args)
		if exitCode(err) != exitUsage || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%v: error %v (exit %d), want exit %d and %q", tc.args, err, exitCode(err), exitUsage, tc.msg)
		}
	}
}

// TestJSONSummary checks that --json names every output that exists and
// counts the rows the JSONL files hold.
func TestJSONSummary(t *testing.T) {
	out := t.TempDir()
	stdout := runCLI(t, "mine", "--data-dir", goldenData, "--out", out, "-q", "--json", "--parquet")
	var s struct {
		Dataset, Stats, Format string
		JSONL, Parquet         map[string]string
		Rows                   map[string]int
		Anchors                int
		Achieved               map[string]float64 `json:"achieved_percent"`
	}
	if err := json.Unmarshal([]byte(stdout), &s); err != nil {
		t.Fatalf("--json printed %q: %v", stdout, err)
	}
	paths := []string{s.Dataset, s.Stats, s.JSONL["train"], s.JSONL["validation"], s.Parquet["train"], s.Parquet["validation"]}
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil || !filepath.IsAbs(p) {
			t.Errorf("summary path %q: %v (absolute: %v)", p, err, filepath.IsAbs(p))
		}
	}
	for split, rows := range s.Rows {
		if n := len(readJSONL(t, s.JSONL[split])); n != rows {
			t.Errorf("%s: summary says %d rows, the JSONL has %d", split, rows, n)
		}
	}
	if s.Format != "triplet" || len(s.Achieved) != 3 || s.Anchors == 0 {
		t.Errorf("summary %+v", s)
	}
}

// TestConfigFollowsTheCommandLineDataDir reuses one config file across two
// versions of the data, the normal use: --data-dir on the command line must
// win over the file, including over the file paths an older --print-config
// derived from the file's data folder; a file path the folder does not
// imply is a conflict, refused with both named.
func TestConfigFollowsTheCommandLineDataDir(t *testing.T) {
	old := synthData(t, "--terms", "300", "--dim", "16", "--anchors", "50")
	newer := synthData(t, "--terms", "400", "--dim", "16", "--anchors", "60", "--seed", "3")
	conf := filepath.Join(t.TempDir(), "run.yaml")
	write := func(content string) {
		t.Helper()
		if err := os.WriteFile(conf, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	termsRead := func(out string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(out, mine.StatsFile))
		if err != nil {
			t.Fatal(err)
		}
		var st struct {
			Inputs struct{ Terms, Pairs, Embeddings mine.FileStats }
		}
		if err := json.Unmarshal(b, &st); err != nil {
			t.Fatal(err)
		}
		for _, f := range []mine.FileStats{st.Inputs.Pairs, st.Inputs.Embeddings} {
			if filepath.Dir(f.Path) != filepath.Dir(st.Inputs.Terms.Path) {
				t.Fatalf("inputs from two folders: %s and %s", f.Path, st.Inputs.Terms.Path)
			}
		}
		return filepath.Dir(st.Inputs.Terms.Path)
	}
	// What an older --print-config wrote: the folder and the paths it implies.
	write("data-dir: " + old + "\npairs: " + filepath.Join(old, source.PairsFile) + "\nterms: " + filepath.Join(old, source.TermsFile) +
		"\nembeddings: " + filepath.Join(old, source.EmbeddingsFile) + "\nout: " + old + "\nseed: 7\n")
	out := t.TempDir()
	runCLI(t, "mine", "--config", conf, "--data-dir", newer, "--out", out, "-q")
	if got := termsRead(out); got != newer {
		t.Fatalf("--data-dir %s on the command line mined %s", newer, got)
	}
	// The output folder the file's data folder implied follows too.
	runCLI(t, "mine", "--config", conf, "--data-dir", newer, "-q")
	if got := termsRead(newer); got != newer {
		t.Fatalf("the default output folder: mined %s", got)
	}
	if _, err := os.Stat(filepath.Join(old, mine.StatsFile)); err == nil {
		t.Fatal("the run wrote into the file's data folder")
	}
	// What --print-config writes now: the folder alone.
	printed := runCLI(t, "mine", "--data-dir", old, "--seed", "7", "--print-config")
	if strings.Contains(printed, source.PairsFile) {
		t.Errorf("--print-config wrote derived paths:\n%s", printed)
	}
	write(printed)
	out = t.TempDir()
	runCLI(t, "mine", "--config", conf, "--data-dir", newer, "--out", out, "-q")
	if got := termsRead(out); got != newer {
		t.Fatalf("from --print-config's file, --data-dir %s mined %s", newer, got)
	}
	// A path of the file's own that the new folder does not imply.
	custom := filepath.Join(t.TempDir(), "pairs.jsonl")
	copyFile(t, filepath.Join(old, source.PairsFile), custom)
	write("data-dir: " + old + "\npairs: " + custom + "\n")
	err, _ := runErr("mine", "--config", conf, "--data-dir", newer, "--out", t.TempDir(), "-q")
	if exitCode(err) != exitUsage || !strings.Contains(err.Error(), custom) || !strings.Contains(err.Error(), "--data-dir "+newer) {
		t.Fatalf("a conflicting path: %v (exit %d), want exit %d naming %s and --data-dir %s", err, exitCode(err), exitUsage, custom, newer)
	}
	// Without a folder on the command line, each flag overrides its key.
	out = t.TempDir()
	runCLI(t, "mine", "--config", conf, "--pairs", filepath.Join(old, source.PairsFile), "--out", out, "-q")
	if got := termsRead(out); got != old {
		t.Fatalf("--pairs alone: mined %s", got)
	}
}
