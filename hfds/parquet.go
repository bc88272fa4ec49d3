package hfds

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/schema"
)

// Row-group sizing of datasets' ParquetDatasetWriter (Dataset.to_parquet,
// which push_to_hub calls per shard) when no batch size is given:
// get_writer_batch_size_from_data_size gives max(1, rows·MAX_ROW_GROUP_SIZE
// // nbytes) rows, aiming at row groups of 100 MB of Arrow data, and each
// batch goes to pyarrow's ParquetWriter.write_table, which splits anything
// longer than its default max_row_group_length.
const (
	parquetRowGroupBytes   = 100_000_000 // datasets config.MAX_ROW_GROUP_SIZE = "100MB"
	parquetMaxRowGroupRows = 1 << 20     // pyarrow's default max_row_group_length
)

// SaveParquet writes splits in the Parquet layout of the HuggingFace Hub
// (what push_to_hub uploads, and what load_dataset("parquet", data_dir=dir)
// and the Hub read): dir/data/<split>-00000-of-0000N.parquet, ... for each
// split in the order given. dir is created if missing; it must be empty or
// absent.
//
// Shards follow Save's rule: int(nbytes / MaxShardBytes) + 1 files, capped at
// the row count and at least 1, each holding contiguous rows. Each file is
// what datasets 5.0.1 and pyarrow write with Dataset.to_parquet (see
// shared/reference/datasets-5.0.1/parquet and
// testdata/datasets-5.0.1-lists/parquet):
//   - the same schema: optional fields, utf8 as BYTE_ARRAY with the String
//     logical type, float64 as DOUBLE, int64 as INT64 without annotation,
//     and a list as the three-level LIST group (<name>.list.element) with
//     an optional element;
//   - the `huggingface` key-value metadata with the features, and the Arrow
//     schema under ARROW:schema, a list's child field named "item";
//   - dictionary encoding, Snappy compression, format 2.6 with v1 data
//     pages, statistics and a page index; list leaves without dictionary
//     or compression, as datasets' per-column settings leave them, and with
//     pyarrow's statistics, where an empty list counts as one null;
//   - row groups of Options.BatchRows rows when it is set (to_parquet's
//     batch_size), otherwise of datasets' size: about 100 MB of Arrow data,
//     at most 1,048,576 rows.
//
// The bytes depend on the input alone: no timestamp is written, and
// created_by is arrow-go's "parquet-go version <arrow-go version>". Not
// written: the `content_defined_chunking` key that datasets adds, because
// arrow-go cannot cut pages by content, and the README.md with the
// dataset_info card that push_to_hub uploads beside the data.
//
// All input is checked, as Save checks it, before anything is created. If
// writing fails, SaveParquet removes what it created.
func SaveParquet(dir string, splits []Split, opt Options) (err error) {
	rowGroupRows := opt.BatchRows // 0 (datasets' size rule) is replaced by withDefaults
	opt, err = opt.withDefaults()
	if err != nil {
		return fmt.Errorf("hfds: save parquet %s: %w", dir, err)
	}
	if err := validate(splits); err != nil {
		return fmt.Errorf("hfds: save parquet %s: %w", dir, err)
	}

	createdDir, err := prepareDir(dir)
	if err != nil {
		return fmt.Errorf("hfds: save parquet %s: %w", dir, err)
	}
	dataDir := filepath.Join(dir, "data")
	defer func() {
		if err == nil {
			return
		}
		_ = os.RemoveAll(dataDir)
		if createdDir {
			_ = os.Remove(dir)
		}
	}()
	if err := os.Mkdir(dataDir, 0o755); err != nil {
		return fmt.Errorf("hfds: save parquet %s: %w", dir, err)
	}

	for _, s := range splits {
		rows := s.Table.NumRows()
		n := shardCount(s.Table.nbytes(), opt.MaxShardBytes, rows)
		for i := range n {
			name := fmt.Sprintf("%s-%05d-of-%05d.parquet", s.Name, i, n)
			shard := s.Table.slice(shardBounds(rows, n, i))
			groupRows := rowGroupRows
			if groupRows == 0 {
				groupRows = parquetRowGroupRows(shard.NumRows(), shard.nbytes())
			}
			groupRows = min(groupRows, parquetMaxRowGroupRows)
			if err := writeParquetShardFunc(filepath.Join(dataDir, name), shard, groupRows); err != nil {
				return fmt.Errorf("hfds: save parquet %s: split %q: %w", dir, s.Name, err)
			}
		}
	}
	return nil
}

// parquetRowGroupRows is datasets' get_writer_batch_size_from_data_size:
// max(1, rows * 100 MB // nbytes), or 1 for a table without data.
func parquetRowGroupRows(rows int, nbytes int64) int {
	if nbytes <= 0 {
		return 1
	}
	if int64(rows) > math.MaxInt64/parquetRowGroupBytes {
		return parquetMaxRowGroupRows // the product would overflow; the cap applies anyway
	}
	return int(max(1, int64(rows)*parquetRowGroupBytes/nbytes))
}

// slice returns rows [lo, hi) of t, sharing its slices. A list column keeps
// all its values and takes Offsets[lo:hi+1], which need not start at 0; the
// code that reads such a table goes through Column.valueRange.
func (t Table) slice(lo, hi int) Table {
	cols := make([]Column, len(t.Columns))
	for j, c := range t.Columns {
		cols[j] = c
		if c.Type.isList() {
			if len(c.Offsets) > 0 {
				cols[j].Offsets = c.Offsets[lo : hi+1]
			}
			continue
		}
		switch c.Type {
		case String:
			cols[j].Strings = c.Strings[lo:hi]
		case Float64:
			cols[j].Float64s = c.Float64s[lo:hi]
		case Int64:
			cols[j].Int64s = c.Int64s[lo:hi]
		}
	}
	return Table{Columns: cols}
}

// parquetProperties are pyarrow's ParquetWriter settings as datasets passes
// them, where arrow-go's defaults differ or matter: Snappy (arrow-go
// defaults to no compression), a page index (datasets passes
// write_page_index=True), format 2.6 with v1 data pages, dictionary encoding
// and statistics. The root's repetition is not set: arrow-go leaves it out
// of the file whatever it is told, which the format allows and readers take
// as required, the repetition pyarrow writes.
//
// datasets asks for Snappy and dictionaries column by column, keyed by
// column name, and pyarrow matches those keys against leaf paths. A list
// column's leaf is "<name>.list.element", which no key matches, so pyarrow
// writes it with its own defaults for unnamed columns: no compression and no
// dictionary. So do we.
func parquetProperties(cols []Column, rowGroupRows int) *parquet.WriterProperties {
	opts := []parquet.WriterProperty{
		parquet.WithCompression(compress.Codecs.Snappy),
		parquet.WithPageIndexEnabled(true),
		parquet.WithVersion(parquet.V2_6),
		parquet.WithDataPageVersion(parquet.DataPageV1),
		parquet.WithDictionaryDefault(true),
		parquet.WithStats(true),
		parquet.WithMaxRowGroupLength(int64(rowGroupRows)),
	}
	for _, c := range cols {
		if c.Type.isList() {
			leaf := c.Name + ".list.element"
			opts = append(opts,
				parquet.WithCompressionFor(leaf, compress.Codecs.Uncompressed),
				parquet.WithDictionaryFor(leaf, false))
		}
	}
	return parquet.NewWriterProperties(opts...)
}

// writeParquetShardFunc is writeParquetShard; tests replace it to make a
// write fail half-way.
var writeParquetShardFunc = writeParquetShard

// parquetChunkLevels is how many levels (values, and empty lists)
// writeParquetColumn hands the column writer at a time, at most, unless one
// row holds more; it bounds the scratch buffers. It is a multiple of
// arrow-go's write batch of 1024 levels, so a scalar column is cut into the
// same batches as in one call.
const parquetChunkLevels = 64 * 1024

// writeParquetShard writes all of t to path as one Parquet file with row
// groups of at most rowGroupRows rows.
//
// It drives arrow-go's Parquet column writers itself rather than through
// pqarrow.FileWriter, which gets two things about lists wrong where pyarrow
// gets them right. pqarrow writes a list leaf with WriteBatchSpaced, whose
// statistics count an empty list against the values (arrow-go v18.8.0,
// Float64ColumnChunkWriter.writeValuesSpaced and the other fixed-width
// writers): a batch with as many empty lists as values loses its min and
// max, and a page of such batches is marked as all nulls in the column
// index although it holds values. And pqarrow renames the child field of a
// list to "element" in the stored ARROW:schema, where pyarrow keeps "item".
// Here every column is written with WriteBatch from the table's slices, its
// definition and repetition levels computed from Offsets.
func writeParquetShard(path string, t Table, rowGroupRows int) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create shard: %w", err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close shard %s: %w", path, cerr)
		}
	}()
	bw := bufio.NewWriterSize(f, writeBufSize)
	if err := writeParquet(bw, t, rowGroupRows); err != nil {
		return fmt.Errorf("write shard %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write shard %s: %w", path, err)
	}
	return nil
}

// writeParquet writes t to w as one Parquet file. A table without rows gets
// a file without row groups, which still has the schema and the metadata.
func writeParquet(w io.Writer, t Table, rowGroupRows int) error {
	props := parquetProperties(t.Columns, rowGroupRows)
	arrowSch := arrowSchema(t.Columns)
	root, err := parquetSchema(t.Columns, props)
	if err != nil {
		return err
	}
	stored, err := serializeSchema(arrowSch)
	if err != nil {
		return err
	}
	// The key order of pqarrow.FileWriter, which wrote these files before.
	kv := metadata.KeyValueMetadata{}
	kv.Append("huggingface", schemaMetadataJSON(t.Columns))
	kv.Append("ARROW:schema", base64.StdEncoding.EncodeToString(stored))
	fw, err := file.NewParquetWriterWithError(w, root, file.WithWriterProps(props), file.WithWriteMetadata(kv))
	if err != nil {
		return err
	}
	var scratch parquetScratch
	rows := t.NumRows()
	for lo := 0; lo < rows; lo += rowGroupRows {
		hi := min(lo+rowGroupRows, rows)
		rg, err := fw.AppendRowGroupChecked()
		if err != nil {
			_ = fw.Close()
			return err
		}
		for _, c := range t.Columns {
			if err := writeParquetColumn(rg, c, lo, hi, &scratch); err != nil {
				_ = fw.Close()
				return fmt.Errorf("column %q rows %d to %d: %w", c.Name, lo, hi, err)
			}
		}
	}
	return fw.Close()
}

// parquetSchema is the Parquet schema pyarrow writes for cols: optional
// fields without field ids; a string as BYTE_ARRAY with the String logical
// type, a float64 as a bare DOUBLE, an int64 as a bare INT64 (pqarrow would
// add the Int(64, signed) annotation, which pyarrow leaves out), and a list
// as the three-level LIST group of the Parquet spec, "<name>.list.element"
// with an optional element. The root is pqarrow's: named "schema", with
// the repetition arrow-go leaves out of the file.
func parquetSchema(cols []Column, props *parquet.WriterProperties) (*schema.GroupNode, error) {
	const noFieldID = -1
	opt := parquet.Repetitions.Optional
	fields := make(schema.FieldList, len(cols))
	for i, c := range cols {
		var n schema.Node
		var err error
		switch c.Type.elem() {
		case String:
			n, err = schema.NewPrimitiveNodeLogical(c.Name, opt, schema.StringLogicalType{}, parquet.Types.ByteArray, 0, noFieldID)
		case Float64:
			n, err = schema.NewPrimitiveNode(c.Name, opt, parquet.Types.Double, noFieldID, 0)
		case Int64:
			n, err = schema.NewPrimitiveNode(c.Name, opt, parquet.Types.Int64, noFieldID, 0)
		}
		if err == nil && c.Type.isList() {
			n, err = schema.ListOf(n, opt, noFieldID)
		}
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", c.Name, err)
		}
		fields[i] = n
	}
	return schema.NewGroupNode(props.RootName(), props.RootRepetition(), fields, noFieldID)
}

// serializeSchema is the Arrow IPC stream of s without batches, which is
// what ARROW:schema holds (base64) and what flight.SerializeSchema and
// pyarrow write there.
func serializeSchema(s *arrow.Schema) ([]byte, error) {
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, ipc.WithSchema(s))
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// parquetScratch holds the buffers writeParquetColumn reuses.
type parquetScratch struct {
	defs, reps []int16
	values     []parquet.ByteArray
}

// Definition and repetition levels of the columns parquetSchema describes:
// an optional value has definition level 1 when present; an optional list
// of optional items (group LIST { repeated group list { optional element }})
// has 1 for an empty list and 3 for each item, and repetition level 0 at the
// start of a row and 1 for the items after the first.
const (
	defValue     = 1
	defEmptyList = 1
	defListItem  = 3
)

// emptyByteArray is "" as a non-nil ByteArray: arrow-go's statistics take a
// nil ByteArray for a missing value and would drop an empty minimum.
var emptyByteArray = parquet.ByteArray([]byte{})

// writeParquetColumn writes rows [lo, hi) of c as the next column chunk of
// rg. Strings are handed over without a copy: the writer copies what it
// keeps, and never writes into the values.
func writeParquetColumn(rg file.SerialRowGroupWriter, c Column, lo, hi int, s *parquetScratch) error {
	cw, err := rg.NextColumn()
	if err != nil {
		return err
	}
	for start, end := lo, lo; start < hi; start = end {
		end = min(start+parquetChunkLevels, hi)
		if c.Type.isList() {
			// Whole rows, as WriteBatch wants them, up to the level budget.
			levels := 0
			for end = start; end < hi; end++ {
				n := max(c.Offsets[end+1]-c.Offsets[end], 1)
				if levels > 0 && levels+n > parquetChunkLevels {
					break
				}
				levels += n
			}
		}
		vlo, vhi := start, end
		var reps []int16
		s.defs = s.defs[:0]
		if c.Type.isList() {
			vlo, vhi = c.valueRange(start, end)
			s.reps = s.reps[:0]
			for i := start; i < end; i++ {
				n := c.Offsets[i+1] - c.Offsets[i]
				if n == 0 {
					s.defs = append(s.defs, defEmptyList)
					s.reps = append(s.reps, 0)
					continue
				}
				for k := range n {
					s.defs = append(s.defs, defListItem)
					s.reps = append(s.reps, int16(min(k, 1)))
				}
			}
			reps = s.reps
		} else {
			for range end - start {
				s.defs = append(s.defs, defValue)
			}
		}
		switch w := cw.(type) {
		case *file.ByteArrayColumnChunkWriter:
			s.values = s.values[:0]
			for _, v := range c.Strings[vlo:vhi] {
				b := emptyByteArray
				if v != "" {
					b = unsafe.Slice(unsafe.StringData(v), len(v))
				}
				s.values = append(s.values, b)
			}
			_, err = w.WriteBatch(s.values, s.defs, reps)
		case *file.Float64ColumnChunkWriter:
			_, err = w.WriteBatch(c.Float64s[vlo:vhi], s.defs, reps)
		case *file.Int64ColumnChunkWriter:
			_, err = w.WriteBatch(c.Int64s[vlo:vhi], s.defs, reps)
		default:
			panic("hfds: unexpected Parquet column writer") // parquetSchema makes only these
		}
		if err != nil {
			_ = cw.Close()
			return err
		}
	}
	return cw.Close()
}
