package arrowcheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// ParquetColumn is one element of a Parquet schema below the root as
// hyparquet reports it, in the footer's depth-first order. Depth is 0 for a
// column. Type is the physical type of a leaf ("BYTE_ARRAY", "DOUBLE",
// "INT64", ...) and "" for a group, Repetition "OPTIONAL", "REQUIRED" or
// "REPEATED", Converted the converted type ("UTF8", "LIST") and Logical the
// logical type ("STRING", "LIST"); both are "" when the file sets none.
// Children is a group's number of children. A flat column is one element;
// a list column is three, the LIST group, its repeated "list" group and the
// "element" leaf. The reader refuses other nesting.
type ParquetColumn struct {
	Name                                 string
	Depth                                int
	Type, Repetition, Converted, Logical string
	Children                             int
}

// ParquetDump is a list of Parquet files as the node reader saw them.
//
// Schema, Metadata and CreatedBy are those of the first file; the reader
// refuses files that differ in them. Rows are keyed by column name and
// decoded as Dump's are: numbers as json.Number with their exact digits
// (float64 shortest round trip, -0 kept, int64 with all digits), NaN and the
// infinities as strings, nulls as nil, lists as []any.
type ParquetDump struct {
	Schema    []ParquetColumn
	Metadata  map[string]string // the files' key-value metadata
	CreatedBy string
	RowGroups []int    // rows per row group, over all files in order
	Codecs    []string // compression codecs of the column chunks, sorted: "SNAPPY", ...
	Rows      []map[string]any
}

// ReadParquet runs `node tools/arrowcheck/dump-parquet.mjs files...` and
// decodes what it prints. It skips the test when node or the hyparquet
// package under tools/arrowcheck/node_modules is missing, unless
// HARDNEG_ARROWCHECK=required, in which case it fails the test; it fails the
// test when the reader refuses a file.
func ReadParquet(t testing.TB, files ...string) ParquetDump {
	t.Helper()
	d, err := TryReadParquet(t, files...)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TryReadParquet is ReadParquet for tests that expect the reader to refuse a
// file: it skips or fails the same way when the reader is not installed, and
// returns the refusal as an error that includes what the reader printed to
// stderr.
func TryReadParquet(t testing.TB, files ...string) (ParquetDump, error) {
	t.Helper()
	node, script := tool(t, "hyparquet", "dump-parquet.mjs")
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(t.Context(), node, append([]string{script}, files...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return ParquetDump{}, fmt.Errorf("arrowcheck: node dump-parquet.mjs %s: %w: %s",
			strings.Join(files, " "), err, strings.TrimSpace(stderr.String()))
	}
	d, err := decodeParquet(&stdout)
	if err != nil {
		return ParquetDump{}, fmt.Errorf("arrowcheck: decode output for %s: %w", strings.Join(files, " "), err)
	}
	return d, nil
}

// parquetOutput is dump-parquet.mjs's JSON document.
type parquetOutput struct {
	Schema []struct {
		Name       string `json:"name"`
		Depth      int    `json:"depth"`
		Type       string `json:"type"`
		Repetition string `json:"repetition"`
		Converted  string `json:"converted"`
		Logical    string `json:"logical"`
		Children   int    `json:"children"`
	} `json:"schema"`
	Metadata  map[string]string `json:"metadata"`
	CreatedBy string            `json:"created_by"`
	RowGroups []int             `json:"row_groups"`
	Codecs    []string          `json:"codecs"`
	Rows      []map[string]any  `json:"rows"`
}

func decodeParquet(r io.Reader) (ParquetDump, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	dec.DisallowUnknownFields()
	var o parquetOutput
	if err := dec.Decode(&o); err != nil {
		return ParquetDump{}, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return ParquetDump{}, errors.New("trailing data after the JSON document")
	}
	if o.Schema == nil || o.Rows == nil || o.RowGroups == nil {
		return ParquetDump{}, errors.New("schema, row_groups or rows missing")
	}
	d := ParquetDump{
		Schema:    make([]ParquetColumn, len(o.Schema)),
		Metadata:  o.Metadata,
		CreatedBy: o.CreatedBy,
		RowGroups: o.RowGroups,
		Codecs:    o.Codecs,
		Rows:      o.Rows,
	}
	if d.Metadata == nil {
		d.Metadata = map[string]string{}
	}
	for i, c := range o.Schema {
		d.Schema[i] = ParquetColumn{Name: c.Name, Depth: c.Depth, Type: c.Type, Repetition: c.Repetition,
			Converted: c.Converted, Logical: c.Logical, Children: c.Children}
	}
	return d, nil
}
