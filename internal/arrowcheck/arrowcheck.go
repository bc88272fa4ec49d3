package arrowcheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// EnvRequired is the environment variable that turns a missing node or
// node_modules into a test failure when set to "required".
const EnvRequired = "HARDNEG_ARROWCHECK"

// InstallHint says how to install the reader.
const InstallHint = "install Node.js 20 or later and run `npm ci --prefix tools/arrowcheck` in the repository root"

// Field is one field of the schema as apache-arrow reports it. Type is
// apache-arrow's type name: "Utf8", "LargeUtf8", "Float64", "Int64",
// "List<Utf8>", ... Item is a list's child field, and zero for other fields;
// the reader refuses deeper nesting.
type Field struct {
	Name, Type string
	Nullable   bool
	Item       Item
}

// Item is the child field of a list field: pyarrow names it "item".
type Item struct {
	Name, Type string
	Nullable   bool
}

// Dump is one split as the node reader saw it.
//
// Rows are decoded with json.Decoder.UseNumber, so every number is a
// json.Number holding the exact digits that node printed: float64 values as
// the shortest decimal that round-trips (n.Float64() gives back the exact
// float64, -0 included), int64 values with all their digits (use n.Int64(),
// never float64). NaN, Infinity and -Infinity arrive as the strings "NaN",
// "Infinity" and "-Infinity". Strings are strings, nulls are nil, and a list
// is a []any of such values.
type Dump struct {
	Fields   []Field
	Metadata map[string]string
	Batches  []int            // rows per record batch, over all shards in order
	Rows     []map[string]any // one map per row, keyed by field name
}

// Read runs `node tools/arrowcheck/dump.mjs splitDir` (locating the repo root by walking up to go.mod) and decodes it.
// If node or tools/arrowcheck/node_modules is missing it calls t.Skip with a message saying how to install —
// unless the environment variable HARDNEG_ARROWCHECK=required is set (CI sets it), in which case t.Fatal.
// If the reader refuses the split, Read calls t.Fatal with its message.
func Read(t testing.TB, splitDir string) Dump {
	t.Helper()
	d, err := TryRead(t, splitDir)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TryRead is Read for tests that expect the reader to refuse a split: it
// skips or fails the same way when the reader is not installed, and returns
// the reader's refusal as an error that includes what it printed to stderr.
func TryRead(t testing.TB, splitDir string) (Dump, error) {
	t.Helper()
	node, script := tool(t, "apache-arrow", "dump.mjs")
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(t.Context(), node, script, splitDir)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return Dump{}, fmt.Errorf("arrowcheck: node dump.mjs %s: %w: %s", splitDir, err, strings.TrimSpace(stderr.String()))
	}
	d, err := decode(&stdout)
	if err != nil {
		return Dump{}, fmt.Errorf("arrowcheck: decode output for %s: %w", splitDir, err)
	}
	return d, nil
}

// tool returns node and tools/arrowcheck/<script> for a test. When either
// is not installed it skips the test, or fails it if HARDNEG_ARROWCHECK is
// "required".
func tool(t testing.TB, pkg, script string) (node, path string) {
	t.Helper()
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	node, path, err = locateTool(root, pkg, script)
	if err != nil {
		if os.Getenv(EnvRequired) == "required" {
			t.Fatalf("%v (%s=required)", err, EnvRequired)
		}
		t.Skipf("%v; set %s=required to fail instead of skipping", err, EnvRequired)
	}
	return node, path
}

// locate returns node and the dump script, or an error that says what is
// missing and how to install it.
func locate(root string) (node, script string, err error) {
	return locateTool(root, "apache-arrow", "dump.mjs")
}

// locateTool returns node and tools/arrowcheck/<script>, after checking that
// the npm package pkg that the script imports is installed.
func locateTool(root, pkg, script string) (node, path string, err error) {
	node, err = exec.LookPath("node")
	if err != nil {
		return "", "", fmt.Errorf("arrowcheck: node not found in PATH: %s", InstallHint)
	}
	dir := filepath.Join(root, "tools", "arrowcheck")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", pkg, "package.json")); err != nil {
		return "", "", fmt.Errorf("arrowcheck: %s is missing %s: %s", filepath.Join(dir, "node_modules"), pkg, InstallHint)
	}
	return node, filepath.Join(dir, script), nil
}

// RepoRoot returns the folder that holds go.mod, walking up from the current
// directory (a test's current directory is its package folder).
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("arrowcheck: find repository root: %w", err)
	}
	for {
		_, err := os.Stat(filepath.Join(dir, "go.mod"))
		if err == nil {
			return dir, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("arrowcheck: find repository root: %w", err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("arrowcheck: find repository root: no go.mod above the current directory")
		}
		dir = parent
	}
}

// output is dump.mjs's JSON document.
type output struct {
	Schema struct {
		Fields []struct {
			Name     string `json:"name"`
			Type     string `json:"type"`
			Nullable bool   `json:"nullable"`
			Item     *Item  `json:"item"`
		} `json:"fields"`
		Metadata map[string]string `json:"metadata"`
	} `json:"schema"`
	Batches []int            `json:"batches"`
	Rows    []map[string]any `json:"rows"`
}

func decode(r io.Reader) (Dump, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	dec.DisallowUnknownFields()
	var o output
	if err := dec.Decode(&o); err != nil {
		return Dump{}, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return Dump{}, errors.New("trailing data after the JSON document")
	}
	d := Dump{
		Fields:   make([]Field, len(o.Schema.Fields)),
		Metadata: o.Schema.Metadata,
		Batches:  o.Batches,
		Rows:     o.Rows,
	}
	if d.Metadata == nil {
		d.Metadata = map[string]string{}
	}
	for i, f := range o.Schema.Fields {
		d.Fields[i] = Field{Name: f.Name, Type: f.Type, Nullable: f.Nullable}
		if f.Item != nil {
			d.Fields[i].Item = *f.Item
		}
	}
	return d, nil
}
