package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/hardneg/hardneg/mine"
	"github.com/hardneg/hardneg/npy"
	"github.com/hardneg/hardneg/source"
)

// tinyData writes a small valid data set: four terms in 3 dimensions with
// similarities that fill the bands.
func tinyData(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		source.TermsFile: `["야당", "야당정치인", "야수", "李滉"]`,
		source.PairsFile: `{"source": "야당", "target": "야당정치인", "similarity": 0.9}` + "\n\n" +
			`{"source": "李滉", "target": "야수", "similarity": 0.8}` + "\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	emb := []float32{1, 0, 0, 0.9, 0.3, 0, 0.6, 0.6, 0.5, 0.4, 0.8, 0.4}
	if err := npy.Write(filepath.Join(dir, source.EmbeddingsFile), 4, 3, emb, npy.Float32); err != nil {
		t.Fatal(err)
	}
	return dir
}

func npyBytes(t *testing.T, rows, cols int, data []float32) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := npy.WriteTo(&buf, rows, cols, data, npy.Float32); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// badCase is one entry of the bad-input catalogue: a small valid data set
// with one thing broken, and how the refusal must look.
type badCase struct {
	name string
	// file is the input the case breaks: it gets bytes, or prepare does
	// something else to it. Empty for a case that breaks the output folder.
	file    string
	bytes   []byte
	prepare func(t *testing.T, path string)
	// out makes the output folder and returns the folder to watch (nothing
	// in it may change), the --out path and the path the message must name;
	// nil is a new folder in a temporary folder.
	out   func(t *testing.T) (root, out, named string)
	want  error  // an error the refusal wraps, tested with errors.Is
	code  int    // the exit code
	where string // must appear in the message beside the path it names
}

// TestBadInputsAreRefused is the catalogue of bad inputs: each is refused by
// run with a documented exit code, an error that wraps the expected error and
// names the file and the line, row or byte offset, and nothing left in the
// output folder. It logs the message the user sees, with the temporary paths
// written DATA, OUT and ROOT.
func TestBadInputsAreRefused(t *testing.T) {
	help := runCLI(t, "mine", "--help")
	good := npyBytes(t, 4, 3, []float32{1, 0, 0, 0.9, 0.3, 0, 0.6, 0.6, 0.5, 0.4, 0.8, 0.4})
	const dataOffset = 128 // numpy pads a version 1.0 header to 64 bytes
	replace := func(b []byte, old, new string) []byte {
		if !bytes.Contains(b, []byte(old)) {
			t.Fatalf("%q is not in the .npy bytes", old)
		}
		return bytes.Replace(b, []byte(old), []byte(new), 1)
	}
	// The header length field says 40 bytes, which ends inside the dict.
	shortHeader := slices.Clone(good)
	binary.LittleEndian.PutUint16(shortHeader[8:], 40)
	nan := float32(0)
	nan = nan / nan
	remove := func(t *testing.T, path string) {
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
	}
	folder := func(t *testing.T, path string) {
		remove(t, path)
		if err := os.Mkdir(path, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []badCase{
		// The pairs file.
		{name: "malformed JSONL line", file: source.PairsFile, bytes: []byte(`{"source": "야당", "target": "야수"}` + "\n" + `{"source": "야당", "target": `),
			want: source.ErrPairs, code: exitInput, where: "line 2: malformed JSON"},
		{name: "pair missing source", file: source.PairsFile, bytes: []byte("\n" + `{"target": "야수"}`),
			want: source.ErrPairs, code: exitInput, where: `line 2: missing "source"`},
		{name: "pair missing target", file: source.PairsFile, bytes: []byte(`{"source": "야수"}`),
			want: source.ErrPairs, code: exitInput, where: `line 1: missing "target"`},
		{name: "empty pairs file", file: source.PairsFile, bytes: nil,
			want: source.ErrNoPairs, code: exitInput, where: "no pairs (0 lines)"},
		{name: "no pair in vocabulary", file: source.PairsFile, bytes: []byte(`{"source": "x", "target": "y"}`),
			want: source.ErrNoPairs, code: exitInput, where: "none of the 1 pairs"},
		{name: "pairs invalid UTF-8", file: source.PairsFile, bytes: []byte(`{"source": "야당", "target": "야수"}` + "\n" + "{\"source\": \"\xec\x95\", \"target\": \"야수\"}\n"),
			want: source.ErrPairs, code: exitInput, where: "line 2: invalid UTF-8 at column 13"},
		{name: "pairs line is an array", file: source.PairsFile, bytes: []byte(`{"source": "야당", "target": "야수"}` + "\n\n" + `["야당", "야수"]`),
			want: source.ErrPairs, code: exitInput, where: "line 3: want a JSON object, found an array"},
		{name: "pairs line is a bare string", file: source.PairsFile, bytes: []byte(`"야당"` + "\n"),
			want: source.ErrPairs, code: exitInput, where: "line 1: want a JSON object, found a string"},
		{name: "similarity is a string", file: source.PairsFile, bytes: []byte(`{"source": "야당", "target": "야수", "similarity": "0.9"}`),
			want: source.ErrPairs, code: exitInput, where: `line 1: field "similarity": want a number, found string`},
		{name: "pairs file missing", file: source.PairsFile, prepare: remove,
			want: fs.ErrNotExist, code: exitInput},
		{name: "pairs path is a folder", file: source.PairsFile, prepare: folder,
			want: syscall.EISDIR, code: exitInput, where: "is a directory"},

		// The embeddings.
		{name: "npy bad magic", file: source.EmbeddingsFile, bytes: append([]byte("\x93NUMPZ"), good[6:]...),
			want: npy.ErrMagic, code: exitInput, where: "byte 0"},
		{name: "npy bad header", file: source.EmbeddingsFile, bytes: replace(good, "'shape'", "'shope'"),
			want: npy.ErrHeader, code: exitInput, where: "byte "},
		{name: "npy fortran order", file: source.EmbeddingsFile, bytes: replace(good, "False", "True "),
			want: npy.ErrFortran, code: exitInput, where: "fortran"},
		{name: "npy int dtype", file: source.EmbeddingsFile, bytes: replace(good, "<f4", "<i4"),
			want: npy.ErrDType, code: exitInput, where: "dtype"},
		{name: "npy truncated data", file: source.EmbeddingsFile, bytes: good[:len(good)-5],
			want: npy.ErrTruncated, code: exitInput, where: "byte 171: data section is 43 bytes, want 48"},
		{name: "npy header claims more data than the file has", file: source.EmbeddingsFile, bytes: replace(good, "(4, 3)", "(5, 3)"),
			want: npy.ErrTruncated, code: exitInput, where: "byte 176: data section is 48 bytes, want 60 for shape (5, 3)"},
		{name: "npy header longer than its declared length", file: source.EmbeddingsFile, bytes: shortHeader,
			want: npy.ErrHeader, code: exitInput, where: "not closed within the declared header length (40 bytes)"},
		{name: "npy shape with zero rows", file: source.EmbeddingsFile, bytes: replace(good[:dataOffset], "(4, 3)", "(0, 3)"),
			want: npy.ErrShape, code: exitInput, where: "has no rows"},
		{name: "npy shape with zero columns", file: source.EmbeddingsFile, bytes: replace(good[:dataOffset], "(4, 3)", "(4, 0)"),
			want: npy.ErrShape, code: exitInput, where: "has no cols"},
		{name: "row count differs from term list", file: source.EmbeddingsFile, bytes: npyBytes(t, 3, 3, make9()),
			want: mine.ErrInput, code: exitInput, where: "has 3 rows but"},
		{name: "zero row", file: source.EmbeddingsFile, bytes: npyBytes(t, 4, 3, []float32{1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1}),
			want: mine.ErrInput, code: exitInput, where: "row 1 (term \"야당정치인\")"},
		{name: "non-finite row", file: source.EmbeddingsFile, bytes: npyBytes(t, 4, 3, []float32{1, 0, 0, 1, 1, 1, 1, nan, 1, 1, 1, 1}),
			want: mine.ErrInput, code: exitInput, where: "row 2 (term \"야수\"): column 1 is NaN"},
		{name: "embeddings file missing", file: source.EmbeddingsFile, prepare: remove,
			want: fs.ErrNotExist, code: exitInput},
		{name: "embeddings path is a folder", file: source.EmbeddingsFile, prepare: folder,
			want: mine.ErrInput, code: exitInput, where: "not a regular file"},

		// The term list.
		{name: "duplicate terms", file: source.TermsFile, bytes: []byte(`["야당", "야당정치인", "야당", "李滉"]`),
			want: source.ErrTerms, code: exitInput, where: "row 2 repeats"},
		{name: "term list not an array", file: source.TermsFile, bytes: []byte(`{"terms": ["야당"]}`),
			want: source.ErrTerms, code: exitInput, where: "want a JSON array of strings"},
		{name: "term list with a number", file: source.TermsFile, bytes: []byte(`["야당", 3, "야수", "李滉"]`),
			want: source.ErrTerms, code: exitInput, where: "row 1 (byte "},
		{name: "term list with a null", file: source.TermsFile, bytes: []byte(`["야당", "야당정치인", null, "李滉"]`),
			want: source.ErrTerms, code: exitInput, where: "row 2 (byte "},
		{name: "term list missing", file: source.TermsFile, prepare: remove,
			want: fs.ErrNotExist, code: exitInput},
		{name: "term list path is a folder", file: source.TermsFile, prepare: folder,
			want: syscall.EISDIR, code: exitInput, where: "is a directory"},
		{name: "data folder missing", file: ".", prepare: func(t *testing.T, path string) {
			if err := os.RemoveAll(path); err != nil {
				t.Fatal(err)
			}
		}, want: fs.ErrNotExist, code: exitInput, where: "it should be a folder holding filtered_synonym_pairs.jsonl, term_embeddings.npy and term_list.json"},
		{name: "data folder lacks a file", file: source.EmbeddingsFile, prepare: remove,
			want: fs.ErrNotExist, code: exitInput, where: "lacks"},

		// The output folder.
		{name: "output folder under a regular file", out: func(t *testing.T) (string, string, string) {
			root := t.TempDir()
			file := filepath.Join(root, "file")
			if err := os.WriteFile(file, []byte("not a folder"), 0o644); err != nil {
				t.Fatal(err)
			}
			return root, filepath.Join(file, "out"), file
		}, want: syscall.ENOTDIR, code: exitUsage, where: "not a directory"},
		{name: "output folder is a regular file", out: func(t *testing.T) (string, string, string) {
			root := t.TempDir()
			file := filepath.Join(root, "file")
			if err := os.WriteFile(file, []byte("not a folder"), 0o644); err != nil {
				t.Fatal(err)
			}
			return root, file, file
		}, want: mine.ErrConfig, code: exitUsage, where: "is a file"},
		{name: "output folder read-only", out: func(t *testing.T) (string, string, string) {
			root := t.TempDir()
			ro := filepath.Join(root, "ro")
			if err := os.Mkdir(ro, 0o555); err != nil {
				t.Fatal(err)
			}
			// chmod does not stop root, or systems without Unix modes.
			if f, err := os.CreateTemp(ro, "probe"); err == nil {
				f.Close()
				os.Remove(f.Name())
				t.Skip("a read-only folder can be written here (root?)")
			}
			return root, ro, ro
		}, want: fs.ErrPermission, code: exitUsage, where: "permission denied"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := tinyData(t)
			named := ""
			if tc.file != "" {
				named = filepath.Join(data, tc.file)
				if tc.prepare != nil {
					tc.prepare(t, named)
				} else if err := os.WriteFile(named, tc.bytes, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			var root, out string
			if tc.out != nil {
				root, out, named = tc.out(t)
			} else {
				root = t.TempDir()
				out = filepath.Join(root, "out")
			}
			before := listTree(t, root)

			var stdout, stderr bytes.Buffer
			err := run(context.Background(), &stdout, &stderr, []string{"mine", "--data-dir", data, "--out", out, "-q"})
			if err == nil {
				t.Fatal("the bad input was accepted")
			}
			msg := err.Error()
			t.Logf("exit %d: hardneg: %s", exitCode(err), strings.NewReplacer(out, "OUT", data, "DATA", root, "ROOT").Replace(msg))
			if !errors.Is(err, tc.want) {
				t.Errorf("error %q does not wrap %q", msg, tc.want)
			}
			if code := exitCode(err); code != tc.code {
				t.Errorf("exit code %d, want %d (%v)", code, tc.code, err)
			}
			if documented := regexp.MustCompile(fmt.Sprintf(`(?m)^ +%d +\S`, tc.code)); tc.code == 0 || !documented.MatchString(help) {
				t.Errorf("exit code %d is not listed in 'hardneg mine --help'", tc.code)
			}
			if !strings.Contains(msg, named) || !strings.Contains(msg, tc.where) {
				t.Errorf("message %q does not name %s and %q", msg, named, tc.where)
			}
			if stdout.Len() > 0 {
				t.Errorf("a refused run printed %q", stdout.String())
			}
			// The run may leave the output folder it created, but empty.
			if entries, err := os.ReadDir(out); err == nil && len(entries) == 0 && tc.out == nil {
				os.Remove(out)
			}
			if after := listTree(t, root); !maps.Equal(after, before) {
				t.Errorf("a refused run changed %s: before %v, after %v", root, before, after)
			}
		})
	}
}

// listTree maps every path under dir to the content of the file there, or
// to "/" for a folder.
func listTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	tree := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			tree[rel] = "/"
			return nil
		}
		b, err := os.ReadFile(p)
		tree[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

func make9() []float32 {
	return []float32{1, 0, 0, 0, 1, 0, 0, 0, 1}
}

func TestTinyDataMines(t *testing.T) {
	// The catalogue above only means something if the unbroken data mines.
	data := tinyData(t)
	runCLI(t, "mine", "--data-dir", data, "-q")
	if _, err := os.Stat(filepath.Join(data, mine.StatsFile)); err != nil {
		t.Fatal(err)
	}
}

func TestExistingOutputsNeedForce(t *testing.T) {
	data := tinyData(t)
	runCLI(t, "mine", "--data-dir", data, "-q")
	stats := filepath.Join(data, mine.StatsFile)
	if err := os.WriteFile(stats, []byte("earlier"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), &stdout, &stderr, []string{"mine", "--data-dir", data, "-q"})
	if !errors.Is(err, mine.ErrOutputExists) || exitCode(err) != exitOutputExist {
		t.Fatalf("error %v (exit %d), want output exists (exit %d)", err, exitCode(err), exitOutputExist)
	}
	if b, _ := os.ReadFile(stats); string(b) != "earlier" {
		t.Fatal("a refused run changed an existing output")
	}
	runCLI(t, "mine", "--data-dir", data, "-q", "--force")
	if b, _ := os.ReadFile(stats); string(b) == "earlier" {
		t.Fatal("--force did not replace the output")
	}
	entries, _ := os.ReadDir(data)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".hardneg-tmp-") {
			t.Fatalf("staging folder %s left behind", e.Name())
		}
	}
}

// TestFailedRunLeavesEarlierOutputs breaks an input after a good run and
// checks that a forced rerun, which fails, leaves the earlier outputs.
func TestFailedRunLeavesEarlierOutputs(t *testing.T) {
	data := tinyData(t)
	runCLI(t, "mine", "--data-dir", data, "-q")
	before := treeBytes(t, data)
	if err := os.WriteFile(filepath.Join(data, source.PairsFile), []byte("not json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), &stdout, &stderr, []string{"mine", "--data-dir", data, "-q", "--force"}); err == nil {
		t.Fatal("broken pairs accepted")
	}
	after := treeBytes(t, data)
	for name, b := range before {
		if name == source.PairsFile {
			continue
		}
		if !bytes.Equal(after[name], b) {
			t.Errorf("%s changed after a failed run", name)
		}
	}
	if len(after) != len(before) {
		t.Errorf("%d files before, %d after", len(before), len(after))
	}
}

func TestUsageErrors(t *testing.T) {
	data := tinyData(t)
	for _, args := range [][]string{
		{"mine"},
		{"mine", "--data-dir", data, "--easy-range", "0.3"},
		{"mine", "--data-dir", data, "--easy-range", "0.3,0.6"},
		{"mine", "--data-dir", data, "--hard-ratio", "0.5"},
		{"mine", "--data-dir", data, "--quota", "even"},
		{"mine", "--data-dir", data, "--train-ratio", "0.8", "--val-ratio", "0.3"},
		{"mine", "--data-dir", data, "--negatives-per-anchor", "0"},
		{"mine", "--no-such-flag"},
		{"frobnicate"},
		{"synth"},
		{"synth", "--out", t.TempDir(), "--dtype", "f64x"},
	} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), &stdout, &stderr, args)
		if exitCode(err) != exitUsage {
			t.Errorf("hardneg %s: exit %d (%v), want %d", strings.Join(args, " "), exitCode(err), err, exitUsage)
		}
	}
}
