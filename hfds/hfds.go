package hfds

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"unicode/utf8"
)

// Type is the `datasets` feature type of a column.
type Type int

const (
	String  Type = iota // datasets Value("string")  = Arrow utf8 (32-bit offsets)
	Float64             // datasets Value("float64") = Arrow float64 (double)
	Int64               // datasets Value("int64")   = Arrow int64
)

// String returns the `datasets` dtype name of t: "string", "float64" or "int64".
func (t Type) String() string {
	switch t {
	case String:
		return "string"
	case Float64:
		return "float64"
	case Int64:
		return "int64"
	}
	return fmt.Sprintf("Type(%d)", int(t))
}

// Column is one named column. Only the slice that matches Type is used; the
// others must be empty.
type Column struct {
	Name     string
	Type     Type
	Strings  []string  // used when Type == String
	Float64s []float64 // used when Type == Float64
	Int64s   []int64   // used when Type == Int64
}

// len returns the number of values in the slice that Type selects.
func (c Column) len() int {
	switch c.Type {
	case String:
		return len(c.Strings)
	case Float64:
		return len(c.Float64s)
	case Int64:
		return len(c.Int64s)
	}
	return 0
}

// Table is a set of columns of equal length, in the order they are written.
type Table struct{ Columns []Column } // all columns the same length

// NumRows returns the length of the first column, or 0 for a table without
// columns. Save checks that all columns have this length.
func (t Table) NumRows() int {
	if len(t.Columns) == 0 {
		return 0
	}
	return t.Columns[0].len()
}

// Split is one named split of a DatasetDict.
type Split struct {
	Name  string // "train", "validation"
	Table Table
}

// Options tunes Save. The zero value writes what `datasets` writes.
type Options struct {
	BatchRows     int   // rows per record batch; datasets writes at most 1000 (the default when 0)
	MaxShardBytes int64 // shard size; datasets uses 500_000_000 (the default when 0); tests set it small to exercise sharding
}

// Defaults of Options, the values `datasets` uses (config.DEFAULT_MAX_BATCH_SIZE
// and config.MAX_SHARD_SIZE).
const (
	DefaultBatchRows     = 1000
	DefaultMaxShardBytes = 500_000_000
)

// Errors returned by Save, wrapped with the directory, split, column and row
// they apply to. Test them with errors.Is.
var (
	ErrDirNotEmpty      = errors.New("directory is not empty")
	ErrBadOptions       = errors.New("bad options")
	ErrNoSplits         = errors.New("no splits")
	ErrSplitName        = errors.New("bad split name")
	ErrDuplicateSplit   = errors.New("duplicate split name")
	ErrNoColumns        = errors.New("table has no columns")
	ErrColumnName       = errors.New("bad column name")
	ErrDuplicateColumn  = errors.New("duplicate column name")
	ErrColumnType       = errors.New("column type does not match its values")
	ErrColumnLength     = errors.New("column lengths differ")
	ErrInvalidUTF8      = errors.New("string is not valid UTF-8")
	ErrStringDataTooBig = errors.New("string data of one record batch exceeds the 2 GiB limit of Arrow utf8")
)

// splitNameRE is the split name pattern of datasets.splits.NamedSplit
// (^\w+(\.\w+)*$), restricted to ASCII so that a name is always a safe
// directory name: no separators, no "." or "..".
var splitNameRE = regexp.MustCompile(`^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$`)

// Save writes a DatasetDict in save_to_disk layout into dir (created if missing; it must be empty or absent):
// dir/dataset_dict.json and, per split, dir/<name>/data-00000-of-0000N.arrow ..., dataset_info.json, state.json.
//
// Splits are written in the order given, which is the order of
// dataset_dict.json. All input is checked before anything is created. If
// writing fails, Save removes what it created.
func Save(dir string, splits []Split, opt Options) (err error) {
	opt, err = opt.withDefaults()
	if err != nil {
		return fmt.Errorf("hfds: save %s: %w", dir, err)
	}
	if err := validate(splits); err != nil {
		return fmt.Errorf("hfds: save %s: %w", dir, err)
	}

	createdDir, err := prepareDir(dir)
	if err != nil {
		return fmt.Errorf("hfds: save %s: %w", dir, err)
	}
	var created []string // split folders, then dataset_dict.json
	defer func() {
		if err == nil {
			return
		}
		for _, p := range created {
			_ = os.RemoveAll(p)
		}
		if createdDir {
			_ = os.Remove(dir)
		}
	}()

	for _, s := range splits {
		splitDir := filepath.Join(dir, s.Name)
		if err := os.Mkdir(splitDir, 0o755); err != nil {
			return fmt.Errorf("hfds: save %s: split %q: %w", dir, s.Name, err)
		}
		created = append(created, splitDir)
		if err := writeSplit(splitDir, s.Table, opt); err != nil {
			return fmt.Errorf("hfds: save %s: split %q: %w", dir, s.Name, err)
		}
	}

	// dataset_dict.json goes last: its presence marks a complete DatasetDict.
	dictPath := filepath.Join(dir, "dataset_dict.json")
	created = append(created, dictPath)
	if err := writeFile(dictPath, datasetDictJSON(splits)); err != nil {
		return fmt.Errorf("hfds: save %s: %w", dir, err)
	}
	return nil
}

func (o Options) withDefaults() (Options, error) {
	if o.BatchRows < 0 {
		return o, fmt.Errorf("batch rows %d < 0: %w", o.BatchRows, ErrBadOptions)
	}
	if o.MaxShardBytes < 0 {
		return o, fmt.Errorf("max shard bytes %d < 0: %w", o.MaxShardBytes, ErrBadOptions)
	}
	if o.BatchRows == 0 {
		o.BatchRows = DefaultBatchRows
	}
	if o.MaxShardBytes == 0 {
		o.MaxShardBytes = DefaultMaxShardBytes
	}
	return o, nil
}

// prepareDir creates dir if it is absent and checks that it is empty. It
// reports whether it created dir itself.
func prepareDir(dir string) (created bool, err error) {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return false, err
		}
		return true, nil
	case err != nil:
		return false, err
	case len(entries) > 0:
		return false, fmt.Errorf("%d entries, first %q: %w", len(entries), entries[0].Name(), ErrDirNotEmpty)
	}
	return false, nil
}

func validate(splits []Split) error {
	if len(splits) == 0 {
		return ErrNoSplits
	}
	seen := make(map[string]bool, len(splits))
	for i, s := range splits {
		if !splitNameRE.MatchString(s.Name) {
			return fmt.Errorf("split %d: name %q: %w", i, s.Name, ErrSplitName)
		}
		if seen[s.Name] {
			return fmt.Errorf("split %d: name %q: %w", i, s.Name, ErrDuplicateSplit)
		}
		seen[s.Name] = true
		if err := validateTable(s.Table); err != nil {
			return fmt.Errorf("split %q: %w", s.Name, err)
		}
	}
	return nil
}

func validateTable(t Table) error {
	if len(t.Columns) == 0 {
		return ErrNoColumns
	}
	names := make(map[string]bool, len(t.Columns))
	for i, c := range t.Columns {
		if c.Name == "" || !utf8.ValidString(c.Name) {
			return fmt.Errorf("column %d: name %q: %w", i, c.Name, ErrColumnName)
		}
		if names[c.Name] {
			return fmt.Errorf("column %d: name %q: %w", i, c.Name, ErrDuplicateColumn)
		}
		names[c.Name] = true
		if err := checkColumnType(c); err != nil {
			return fmt.Errorf("column %q: %w", c.Name, err)
		}
	}
	first := t.Columns[0]
	for _, c := range t.Columns[1:] {
		if c.len() != first.len() {
			return fmt.Errorf("column %q has %d rows, column %q has %d: %w",
				c.Name, c.len(), first.Name, first.len(), ErrColumnLength)
		}
	}
	// Arrow utf8 must be valid UTF-8; pyarrow and `datasets` fail on it only
	// when a row is read, long after the file was written.
	for _, c := range t.Columns {
		for row, s := range c.Strings {
			if !utf8.ValidString(s) {
				return fmt.Errorf("column %q row %d: %w", c.Name, row, ErrInvalidUTF8)
			}
		}
	}
	return nil
}

func checkColumnType(c Column) error {
	var stray string
	switch c.Type {
	case String:
		if len(c.Float64s) > 0 {
			stray = "Float64s"
		} else if len(c.Int64s) > 0 {
			stray = "Int64s"
		}
	case Float64:
		if len(c.Strings) > 0 {
			stray = "Strings"
		} else if len(c.Int64s) > 0 {
			stray = "Int64s"
		}
	case Int64:
		if len(c.Strings) > 0 {
			stray = "Strings"
		} else if len(c.Float64s) > 0 {
			stray = "Float64s"
		}
	default:
		return fmt.Errorf("unknown %v: %w", c.Type, ErrColumnType)
	}
	if stray != "" {
		return fmt.Errorf("type %v but %s is set: %w", c.Type, stray, ErrColumnType)
	}
	return nil
}
