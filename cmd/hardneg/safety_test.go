package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"github.com/hardneg/hardneg/mine"
	"github.com/hardneg/hardneg/source"
)

// runErr runs the CLI and returns its error and stderr.
func runErr(args ...string) (error, string) {
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), &stdout, &stderr, args)
	return err, stderr.String()
}

// TestDumpExcludedIsAnOutput: the list of excluded candidates is staged and
// committed with the other outputs. It is refused, before anything is read
// or written, when it names an input, another output or a folder, and when
// it exists without --force.
func TestDumpExcludedIsAnOutput(t *testing.T) {
	data := synthData(t, "--terms", "400", "--dim", "16", "--anchors", "80")
	for _, tc := range []struct {
		name  string
		dump  func(data, out string) string
		force bool
		code  int
		want  string
	}{
		{"an input", func(data, _ string) string { return filepath.Join(data, source.TermsFile) }, true, exitUsage, "is an input of the run"},
		{"the pairs, by another path", func(data, _ string) string { return filepath.Join(data, ".", "x", "..", source.PairsFile) }, true, exitUsage, "is an input of the run"},
		{"another output", func(_, out string) string { return filepath.Join(out, "train_triplets.jsonl") }, true, exitUsage, "is the run's output"},
		{"inside an output", func(_, out string) string { return filepath.Join(out, "triplet_dataset", "x.jsonl") }, true, exitUsage, "is the run's output"},
		{"a folder", func(_, out string) string { return out }, true, exitUsage, "is a folder"},
		{"in a missing folder", func(_, out string) string { return filepath.Join(out, "no", "x.jsonl") }, true, exitUsage, "does not exist"},
		{"an existing file, without --force", func(_, out string) string { return filepath.Join(out, "earlier.jsonl") }, false, exitOutputExist, "use --force"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			runCLI(t, "mine", "--data-dir", data, "--out", out, "-q")
			if err := os.WriteFile(filepath.Join(out, "earlier.jsonl"), []byte("the user's\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			before, inputs := listTree(t, out), listTree(t, data)
			args := []string{"mine", "--data-dir", data, "--out", out, "-q", "--exclude", "hops:2", "--seed", "7", "--dump-excluded", tc.dump(data, out)}
			if tc.force {
				args = append(args, "--force")
			}
			err, _ := runErr(args...)
			if err == nil || exitCode(err) != tc.code || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v (exit %d), want exit %d with %q", err, exitCode(err), tc.code, tc.want)
			}
			if after := listTree(t, out); !maps.Equal(after, before) {
				t.Errorf("a refused run changed the output folder: %v", sortedKeys(after))
			}
			if after := listTree(t, data); !maps.Equal(after, inputs) {
				t.Errorf("a refused run changed the inputs")
			}
		})
	}
	// Accepted: the dump and the outputs appear together, and a folder of
	// its own holds nothing else afterwards.
	out, elsewhere := t.TempDir(), t.TempDir()
	dump := filepath.Join(elsewhere, "excluded.jsonl")
	runCLI(t, "mine", "--data-dir", data, "--out", out, "-q", "--exclude", "hops:2", "--dump-excluded", dump)
	if got := listTree(t, elsewhere); len(got) != 2 || got["excluded.jsonl"] == "" {
		t.Fatalf("the dump's folder holds %v", sortedKeys(got))
	}
	if err, _ := runErr("mine", "--data-dir", data, "--out", t.TempDir(), "-q", "--exclude", "hops:2", "--dump-excluded", dump); exitCode(err) != exitOutputExist {
		t.Fatalf("an existing dump without --force: %v", err)
	}
}

// TestForceReplacesOnlyHardnegOutputs: --force replaces what an earlier
// run wrote, but refuses a folder in the way that holds anything hardneg
// does not write there (data/raw/corpus.txt beside --parquet's data/), and
// leaves it as it was.
func TestForceReplacesOnlyHardnegOutputs(t *testing.T) {
	data := synthData(t, "--terms", "400", "--dim", "16", "--anchors", "80")
	out := t.TempDir()
	runCLI(t, "mine", "--data-dir", data, "--out", out, "-q", "--parquet")
	runCLI(t, "mine", "--data-dir", data, "--out", out, "-q", "--parquet", "--force", "--seed", "7")

	raw := filepath.Join(out, mine.ParquetDir, "raw", "corpus.txt")
	if err := os.MkdirAll(filepath.Dir(raw), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(raw, []byte("the user's corpus\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := listTree(t, out)
	err, _ := runErr("mine", "--data-dir", data, "--out", out, "-q", "--parquet", "--force")
	if exitCode(err) != exitOutputExist || !errors.Is(err, mine.ErrOutputExists) || !strings.Contains(err.Error(), "holds raw") {
		t.Fatalf("error %v (exit %d), want exit %d naming raw/", err, exitCode(err), exitOutputExist)
	}
	if after := listTree(t, out); !maps.Equal(after, before) {
		t.Fatalf("the refused run changed %s", out)
	}
	// A folder of the user's named like the dataset is refused too.
	other := t.TempDir()
	if err := os.MkdirAll(filepath.Join(other, "triplet_dataset", "notes"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err, _ := runErr("mine", "--data-dir", data, "--out", other, "-q", "--force"); exitCode(err) != exitOutputExist {
		t.Fatalf("a foreign triplet_dataset/: %v", err)
	}
}

// TestNFDPairsMatchNFCTerms writes nine pair lines in ten in Unicode NFD
// (decomposed Hangul) against the NFC term list: the pairs must match
// under NFC, counted in the stats file, and give the outputs of the NFC
// pairs, rather than lose 90% of the pairs with exit 0.
func TestNFDPairsMatchNFCTerms(t *testing.T) {
	data := synthData(t, "--terms", "1000", "--dim", "16", "--anchors", "300")
	ref := t.TempDir()
	runCLI(t, "mine", "--data-dir", data, "--out", ref, "-q")
	b, err := os.ReadFile(filepath.Join(data, source.PairsFile))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	changed := 0
	for i, l := range lines {
		if i%10 != 0 && norm.NFD.String(l) != l {
			lines[i] = norm.NFD.String(l)
			changed++
		}
	}
	if changed < len(lines)/2 {
		t.Fatalf("only %d of %d lines change under NFD", changed, len(lines))
	}
	nfd := filepath.Join(t.TempDir(), "pairs.jsonl")
	if err := os.WriteFile(nfd, []byte(strings.Join(lines, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	err, stderr := runErr("mine", "--data-dir", data, "--pairs", nfd, "--out", out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr, "only under Unicode NFC") || strings.Contains(stderr, "warning:") {
		t.Errorf("stderr does not report the NFC matches, or warns:\n%s", stderr)
	}
	want, got := treeBytes(t, ref), treeBytes(t, out)
	for _, name := range []string{"train_triplets.jsonl", "val_triplets.jsonl"} {
		if !bytes.Equal(want[name], got[name]) {
			t.Errorf("%s differs from the run on NFC pairs", name)
		}
	}
	var st, refSt struct {
		Pairs struct {
			Used       int
			MatchedNFC int `json:"matched_nfc"`
		}
	}
	json.Unmarshal(got[mine.StatsFile], &st)
	json.Unmarshal(want[mine.StatsFile], &refSt)
	if st.Pairs.Used != refSt.Pairs.Used || st.Pairs.MatchedNFC < changed {
		t.Errorf("pairs %+v, want %d used and at least %d matched under NFC", st.Pairs, refSt.Pairs.Used, changed)
	}
}

// TestManyPairsOutOfVocabularyWarn: when more than a few percent of the
// pairs name terms that are not in the term list, the run warns on
// stderr, even with -q, with the causes and examples.
func TestManyPairsOutOfVocabularyWarn(t *testing.T) {
	data := synthData(t, "--terms", "1000", "--dim", "16", "--anchors", "300")
	b, err := os.ReadFile(filepath.Join(data, source.PairsFile))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(strings.TrimSuffix(string(b), "\n"), "\n")
	for i := range lines {
		if i%5 == 0 {
			var p map[string]any
			if err := json.Unmarshal([]byte(lines[i]), &p); err != nil {
				t.Fatal(err)
			}
			p["target"] = strings.ToUpper(" Missing-" + p["target"].(string))
			nb, _ := json.Marshal(p)
			lines[i] = string(nb) + "\n"
		}
	}
	if err := os.WriteFile(filepath.Join(data, source.PairsFile), []byte(strings.Join(lines, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	err, stderr := runErr("mine", "--data-dir", data, "--out", t.TempDir(), "-q")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"warning: ", "pairs in " + filepath.Join(data, source.PairsFile), "pairs lack the target", `for example " MISSING-`} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	// A few percent is no cause for alarm.
	err, stderr = runErr("mine", "--data-dir", synthData(t, "--terms", "1000", "--dim", "16", "--anchors", "300"), "--out", t.TempDir(), "-q")
	if err != nil || stderr != "" {
		t.Errorf("a clean run: %v, stderr %q", err, stderr)
	}
}

// TestEmptyResultFails: a run whose every candidate is excluded produced
// nothing; it must fail (exit 6) before writing, so that with --force it
// never replaces good earlier outputs, unless --allow-empty asks for the
// empty outputs. The same holds for merge.
func TestEmptyResultFails(t *testing.T) {
	data := synthData(t, "--terms", "400", "--dim", "16", "--anchors", "80")
	out := t.TempDir()
	runCLI(t, "mine", "--data-dir", data, "--out", out, "-q")
	before := listTree(t, out)
	nothing := []string{"--relative-margin", "2"} // s <= s+ - 2|s+|: no candidate passes
	err, _ := runErr(append([]string{"mine", "--data-dir", data, "--out", out, "-q", "--force"}, nothing...)...)
	if exitCode(err) != exitEmpty || !errors.Is(err, mine.ErrEmpty) || !strings.Contains(err.Error(), "--allow-empty") {
		t.Fatalf("an empty result: %v (exit %d), want exit %d", err, exitCode(err), exitEmpty)
	}
	if after := listTree(t, out); !maps.Equal(after, before) {
		t.Fatal("the empty run replaced the earlier outputs")
	}
	shards := mineShards(t, data, 2, nothing...)
	if err, _ := runErr("merge", "--out", t.TempDir(), "-q", shards); exitCode(err) != exitEmpty {
		t.Fatalf("merging an empty result: %v", err)
	}
	runCLI(t, append([]string{"mine", "--data-dir", data, "--out", out, "-q", "--force", "--allow-empty"}, nothing...)...)
	if rows := readJSONL(t, filepath.Join(out, "train_triplets.jsonl")); len(rows) != 0 {
		t.Fatalf("%d rows", len(rows))
	}
}

// TestPerAnchorSpreadAndCap: the balanced quota meets the overall mix, but
// can do so by giving some anchors all their negatives from one band and
// others none. The run reports the spread per band (summary and --json),
// and --max-per-band caps what one anchor takes from a band.
func TestPerAnchorSpreadAndCap(t *testing.T) {
	data := synthData(t, "--terms", "3000", "--dim", "16", "--anchors", "800")
	spreadOf := func(out string) map[string]map[string]int {
		rows := append(readJSONL(t, filepath.Join(out, "train_triplets.jsonl")), readJSONL(t, filepath.Join(out, "val_triplets.jsonl"))...)
		negs := map[string]map[string]map[string]bool{} // anchor, band, negative
		for _, r := range rows {
			if negs[r.Anchor] == nil {
				negs[r.Anchor] = map[string]map[string]bool{}
			}
			if negs[r.Anchor][r.Difficulty] == nil {
				negs[r.Anchor][r.Difficulty] = map[string]bool{}
			}
			negs[r.Anchor][r.Difficulty][r.Negative] = true
		}
		spread := map[string]map[string]int{}
		for _, bands := range negs {
			for _, band := range []string{"easy", "medium", "hard"} {
				if spread[band] == nil {
					spread[band] = map[string]int{}
				}
				spread[band][fmt.Sprint(len(bands[band]))]++
			}
		}
		return spread
	}
	out := t.TempDir()
	stdout := runCLI(t, "mine", "--data-dir", data, "--out", out, "-q", "--json")
	var js struct {
		PerAnchor map[string]map[string]int `json:"per_anchor"`
		Skipped   int                       `json:"skipped_anchors"`
	}
	if err := json.Unmarshal([]byte(stdout), &js); err != nil {
		t.Fatal(err)
	}
	want := spreadOf(out)
	for band, counts := range want {
		for k, n := range counts {
			if k == "0" {
				n += js.Skipped
			}
			if js.PerAnchor[band][k] != n {
				t.Errorf("%s: %s anchors with %s negatives from it, the rows say %d", band, fmt.Sprint(js.PerAnchor[band][k]), k, n)
			}
		}
	}
	text := runCLI(t, "mine", "--data-dir", data, "--out", t.TempDir())
	if !strings.Contains(text, "anchors by how many of their negatives it gave: 0: ") {
		t.Errorf("the summary lacks the spread:\n%s", text)
	}
	capped := t.TempDir()
	runCLI(t, "mine", "--data-dir", data, "--out", capped, "-q", "--max-per-band", "2")
	for band, counts := range spreadOf(capped) {
		for k := range counts {
			if n, _ := strconv.Atoi(k); n > 2 {
				t.Errorf("%s: an anchor got %s negatives from it under --max-per-band 2", band, k)
			}
		}
	}
	if err, _ := runErr("mine", "--data-dir", data, "--out", t.TempDir(), "--max-per-band", "2", "--quota", "notebook"); exitCode(err) != exitUsage {
		t.Errorf("--max-per-band with the notebook quota: %v", err)
	}
}

// TestDumpAgreesWithStats: the stats file counts, per rule, the candidates
// the rule excluded; the dump must have exactly that many lines per rule,
// also where two rules exclude the same candidate (the dump gave it to
// the lexical rule alone, so hops:2 had half as many lines as its count).
func TestDumpAgreesWithStats(t *testing.T) {
	data := synthData(t, "--terms", "3000", "--dim", "16", "--anchors", "800")
	for _, args := range [][]string{
		{"--exclude", "hops:2", "--exclude-contains", "2", "--exclude-normalized", "--exclude-edit-distance", "1"},
		{"--exclude", "component", "--exclude-contains", "2"},
	} {
		out := t.TempDir()
		dump := filepath.Join(t.TempDir(), "excluded.jsonl")
		runCLI(t, append([]string{"mine", "--data-dir", data, "--out", out, "-q", "--dump-excluded", dump}, args...)...)
		lines := map[string]int{}
		for _, l := range strings.Split(strings.TrimSpace(string(readFile(t, dump))), "\n") {
			var d struct{ Rule string }
			if err := json.Unmarshal([]byte(l), &d); err != nil {
				t.Fatal(err)
			}
			lines[d.Rule]++
		}
		var st struct {
			Guards struct {
				Excluded map[string]struct {
					Total int `json:"candidates_excluded"`
				} `json:"excluded_beyond_positives"`
			}
		}
		if err := json.Unmarshal(readFile(t, filepath.Join(out, mine.StatsFile)), &st); err != nil {
			t.Fatal(err)
		}
		if len(st.Guards.Excluded) < 2 {
			t.Fatalf("%v: the stats file counts %v", args, st.Guards.Excluded)
		}
		for rule, c := range st.Guards.Excluded {
			if lines[rule] != c.Total {
				t.Errorf("%v: %s excluded %d candidates by the stats file, the dump has %d lines", args, rule, c.Total, lines[rule])
			}
		}
	}
}

func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestErrorMessagesHelp pins the messages a new user hit: each names what
// to change, without float noise.
func TestErrorMessagesHelp(t *testing.T) {
	data := tinyData(t)
	missing := filepath.Join(t.TempDir(), "nowhere")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--hard-ratio", "0.51"}, exitUsage, "the band ratios must sum to 1: --easy-ratio 0.33 + --medium-ratio 0.33 + --hard-ratio 0.51 = 1.17"},
		{[]string{"--band", "a:0.3:0.6:0.5", "--band", "b:0.6:0.7:0.4"}, exitUsage, "0.5 (--band a:0.3:0.6:0.5) + 0.4 (--band b:0.6:0.7:0.4) = 0.9"},
		{[]string{"--medium-range", "0.45,0.75"}, exitUsage, "bands easy [0.3, 0.5) and medium [0.45, 0.75) overlap"},
		{[]string{"--hard-range", "0.6,0.9"}, exitUsage, "bands medium [0.5, 0.7) and hard [0.6, 0.9) overlap"},
		{[]string{"--train-ratio", "0.8", "--val-ratio", "0.3"}, exitUsage, "--train-ratio 0.8 and --val-ratio 0.3 must sum to 1, not 1.1"},
		{[]string{"--negatives-per-anchr", "3"}, exitUsage, "unknown flag: --negatives-per-anchr; did you mean --negatives-per-anchor?"},
		{[]string{"--exlude", "hops:2"}, exitUsage, "did you mean --exclude?"},
		{[]string{"!", data}, exitUsage, "mine takes no arguments, got \"" + data + "\"; to name a data folder, use --data-dir " + data},
		{[]string{"!", "--data-dir", missing}, exitInput, "--data-dir " + missing + ": stat " + missing + ": no such file or directory; it should be a folder holding filtered_synonym_pairs.jsonl, term_embeddings.npy and term_list.json"},
	} {
		args := append([]string{"mine", "--data-dir", data, "--out", t.TempDir(), "-q"}, tc.args...)
		if tc.args[0] == "!" {
			args = append([]string{"mine", "--out", t.TempDir()}, tc.args[1:]...)
		}
		err, _ := runErr(args...)
		if exitCode(err) != tc.code || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v (exit %d), want exit %d and %q", tc.args, err, exitCode(err), tc.code, tc.want)
		}
	}
	// --val-ratio follows --train-ratio.
	out := t.TempDir()
	runCLI(t, "mine", "--data-dir", data, "--out", out, "-q", "--train-ratio", "0.8")
	if b := readFile(t, filepath.Join(out, mine.StatsFile)); !strings.Contains(string(b), `"val_ratio": 0.2,`) {
		t.Errorf("--train-ratio 0.8 did not make --val-ratio 0.2:\n%s", b)
	}
}
