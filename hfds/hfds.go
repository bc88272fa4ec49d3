package hfds

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"unicode/utf8"
)

// Type is the `datasets` feature type of a column.
type Type int

const (
	String      Type = iota // datasets Value("string")  = Arrow utf8 (32-bit offsets)
	Float64                 // datasets Value("float64") = Arrow float64 (double)
	Int64                   // datasets Value("int64")   = Arrow int64
	ListString              // datasets List(Value("string"))  = Arrow list<item: string> (32-bit offsets)
	ListFloat64             // datasets List(Value("float64")) = Arrow list<item: double>
	ListInt64               // datasets List(Value("int64"))   = Arrow list<item: int64>
)

// String returns the name `datasets` gives t: the dtype of a Value
// ("string", "float64", "int64"), and the repr of a List feature, as
// print(dataset.features) shows it ("List(Value('string'))", ...).
func (t Type) String() string {
	switch t {
	case String:
		return "string"
	case Float64:
		return "float64"
	case Int64:
		return "int64"
	case ListString, ListFloat64, ListInt64:
		return "List(Value('" + t.elem().String() + "'))"
	}
	return fmt.Sprintf("Type(%d)", int(t))
}

// isList reports whether t is one of the list types.
func (t Type) isList() bool { return t >= ListString && t <= ListInt64 }

// elem returns the type of t's values: the element type of a list type, and
// t itself for the others.
func (t Type) elem() Type {
	if t.isList() {
		return t - ListString + String
	}
	return t
}

// Column is one named column. Only the slice that matches Type is used; the
// others must be empty.
//
// A list column (ListString, ListFloat64, ListInt64) is stored flat, as
// Arrow stores it: the values of all rows, in row order, in the slice that
// matches its element type, and Offsets with one entry per row plus one.
// Row i holds the values [Offsets[i], Offsets[i+1]); Offsets starts at 0,
// never decreases and ends at the number of values, so equal neighbours
// make an empty list. A list column without rows may leave Offsets empty.
// Offsets must be empty in the other columns.
type Column struct {
	Name     string
	Type     Type
	Strings  []string  // used when Type is String or ListString
	Float64s []float64 // used when Type is Float64 or ListFloat64
	Int64s   []int64   // used when Type is Int64 or ListInt64
	Offsets  []int     // used when Type is a list type: len(Offsets) == rows+1
}

// values returns the number of values in the slice that Type selects.
func (c Column) values() int {
	switch c.Type.elem() {
	case String:
		return len(c.Strings)
	case Float64:
		return len(c.Float64s)
	case Int64:
		return len(c.Int64s)
	}
	return 0
}

// rows returns the column's number of rows: its values, or for a list
// column its offsets less one.
func (c Column) rows() int {
	if c.Type.isList() {
		return max(len(c.Offsets)-1, 0)
	}
	return c.values()
}

// valueRange returns the values [lo, hi) that rows [rowLo, rowHi) of a list
// column hold. The offsets of a table made by Table.slice need not start at
// 0, so callers use this rather than 0 and len(values).
func (c Column) valueRange(rowLo, rowHi int) (lo, hi int) {
	if rowLo == rowHi {
		return 0, 0
	}
	return c.Offsets[rowLo], c.Offsets[rowHi]
}

// Table is a set of columns of equal length, in the order they are written.
type Table struct{ Columns []Column } // all columns the same length

// NumRows returns the length of the first column, or 0 for a table without
// columns. Save checks that all columns have this length.
func (t Table) NumRows() int {
	if len(t.Columns) == 0 {
		return 0
	}
	return t.Columns[0].rows()
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
	ErrBadOffsets       = errors.New("bad list offsets")
	ErrStringDataTooBig = errors.New("string data of one record batch exceeds the 2 GiB limit of Arrow utf8")
	ErrListTooLong      = errors.New("list values of one record batch exceed the int32 offsets of Arrow list")
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
		if err := checkOffsets(c); err != nil {
			return fmt.Errorf("column %q: %w", c.Name, err)
		}
	}
	first := t.Columns[0]
	for _, c := range t.Columns[1:] {
		if c.rows() != first.rows() {
			return fmt.Errorf("column %q has %d rows, column %q has %d: %w",
				c.Name, c.rows(), first.Name, first.rows(), ErrColumnLength)
		}
	}
	// Arrow utf8 must be valid UTF-8; pyarrow and `datasets` fail on it only
	// when a row is read, long after the file was written.
	for _, c := range t.Columns {
		if err := checkUTF8(c); err != nil {
			return err
		}
	}
	return nil
}

// checkOffsets checks a list column's offsets against its values (see
// Column).
func checkOffsets(c Column) error {
	if !c.Type.isList() {
		return nil
	}
	n := c.values()
	if len(c.Offsets) == 0 {
		if n > 0 {
			return fmt.Errorf("%d values but no offsets: %w", n, ErrBadOffsets)
		}
		return nil
	}
	if c.Offsets[0] != 0 {
		return fmt.Errorf("offsets start at %d, want 0: %w", c.Offsets[0], ErrBadOffsets)
	}
	for i := 1; i < len(c.Offsets); i++ {
		if c.Offsets[i] < c.Offsets[i-1] {
			return fmt.Errorf("row %d: offsets decrease from %d to %d: %w", i-1, c.Offsets[i-1], c.Offsets[i], ErrBadOffsets)
		}
	}
	if last := c.Offsets[len(c.Offsets)-1]; last != n {
		return fmt.Errorf("offsets end at %d, want %d, the number of values: %w", last, n, ErrBadOffsets)
	}
	return nil
}

// checkUTF8 checks the strings of a String or ListString column, whose
// offsets checkOffsets has accepted.
func checkUTF8(c Column) error {
	switch c.Type {
	case String:
		for row, s := range c.Strings {
			if !utf8.ValidString(s) {
				return fmt.Errorf("column %q row %d: %w", c.Name, row, ErrInvalidUTF8)
			}
		}
	case ListString:
		for i, s := range c.Strings {
			if utf8.ValidString(s) {
				continue
			}
			// Value i is in the last row k with Offsets[k] <= i.
			row := sort.Search(len(c.Offsets), func(k int) bool { return c.Offsets[k] > i }) - 1
			return fmt.Errorf("column %q row %d item %d: %w", c.Name, row, i-c.Offsets[row], ErrInvalidUTF8)
		}
	}
	return nil
}

// checkColumnType checks that Type is known and that only the slices it
// uses are set.
func checkColumnType(c Column) error {
	if c.Type < String || c.Type > ListInt64 {
		return fmt.Errorf("unknown %v: %w", c.Type, ErrColumnType)
	}
	elem := c.Type.elem()
	for _, s := range []struct {
		name      string
		set, used bool
	}{
		{"Strings", len(c.Strings) > 0, elem == String},
		{"Float64s", len(c.Float64s) > 0, elem == Float64},
		{"Int64s", len(c.Int64s) > 0, elem == Int64},
		{"Offsets", len(c.Offsets) > 0, c.Type.isList()},
	} {
		if s.set && !s.used {
			return fmt.Errorf("type %v but %s is set: %w", c.Type, s.name, ErrColumnType)
		}
	}
	return nil
}

var (
	savedFileRE   = regexp.MustCompile(`^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*/(data-[0-9]{5}-of-[0-9]{5}\.arrow|dataset_info\.json|state\.json)$`)
	parquetFileRE = regexp.MustCompile(`^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*-[0-9]{5}-of-[0-9]{5}\.parquet$`)
)

// Saved reports whether rel, a slash-separated path inside a folder that
// Save wrote (dir: rel is a folder), is one Save writes: dataset_dict.json,
// a split's folder, and in it data-NNNNN-of-NNNNN.arrow, dataset_info.json
// and state.json. A writer that replaces a dataset uses it to refuse a
// folder holding anything else.
func Saved(rel string, dir bool) bool {
	if dir {
		return splitNameRE.MatchString(rel)
	}
	return rel == "dataset_dict.json" || savedFileRE.MatchString(rel)
}

// SavedParquet reports whether rel, a slash-separated path inside the
// data folder that SaveParquet wrote, is one it writes:
// SPLIT-NNNNN-of-NNNNN.parquet.
func SavedParquet(rel string, dir bool) bool {
	return !dir && parquetFileRE.MatchString(rel)
}
