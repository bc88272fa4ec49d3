package hfds

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
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
// shared/reference/datasets-5.0.1/parquet):
//   - the same Arrow schema: nullable fields, utf8 as BYTE_ARRAY with the
//     String logical type, float64 as DOUBLE, int64 as INT64 (which arrow-go
//     annotates as Int(64, signed) where pyarrow leaves it bare; readers
//     take both as int64);
//   - the `huggingface` key-value metadata with the features, and the Arrow
//     schema under ARROW:schema;
//   - dictionary encoding, Snappy compression, format 2.6 with v1 data
//     pages, statistics and a page index;
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

// writeParquetShard writes all of t to path as one Parquet file with row
// groups of at most rowGroupRows rows.
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
	schema := arrowSchema(t.Columns)
	w, err := pqarrow.NewFileWriter(schema, bw, parquetProperties(t.Columns, rowGroupRows),
		pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		return fmt.Errorf("write shard %s: %w", path, err)
	}
	// A fresh encoder per row group: the Parquet writer may keep references
	// into a batch (statistics, for one) until Close, so the scratch buffers
	// that Save reuses between batches must not be reused here. Close
	// writes the footer; a file without rows still gets the schema and the
	// metadata.
	return writeRecords(w, bw, path, 0, t.NumRows(), rowGroupRows, func(lo, hi int) (arrow.RecordBatch, error) {
		return newBatchEncoder(t).record(lo, hi)
	})
}
