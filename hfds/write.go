package hfds

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// writeBufSize is the bufio buffer in front of each shard file.
const writeBufSize = 1 << 20

// maxOffset is the largest offset of Arrow utf8 and list, which count bytes
// and values in int32. Tests lower it to reach the limit without 2 GiB of
// data.
var maxOffset = math.MaxInt32

// writeSplit writes the shards, dataset_info.json and state.json of one split
// into dir, which exists and is empty.
func writeSplit(dir string, t Table, opt Options) error {
	rows := t.NumRows()
	n := shardCount(t.nbytes(), opt.MaxShardBytes, rows)
	enc := newBatchEncoder(t)
	sum := sha256.New()
	names := make([]string, n)
	for i := range n {
		names[i] = fmt.Sprintf("data-%05d-of-%05d.arrow", i, n)
		lo, hi := shardBounds(rows, n, i)
		if err := writeShard(filepath.Join(dir, names[i]), enc, lo, hi, opt.BatchRows, sum); err != nil {
			return err
		}
	}
	// datasets draws a random fingerprint; a digest of the shard bytes is just
	// as unique per content and keeps the output reproducible.
	fingerprint := hex.EncodeToString(sum.Sum(nil)[:8])

	if err := writeFile(filepath.Join(dir, "dataset_info.json"), datasetInfoJSON(t.Columns)); err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, "state.json"), stateJSON(names, fingerprint))
}

// nbytes is the table's Arrow data size as pyarrow's Table.nbytes counts it
// for a table without nulls, which is what `datasets` divides by the shard
// size (Dataset._estimate_nbytes). pyarrow counts the buffer ranges an array
// references (arrow::util::ReferencedBufferSize), and for offsets that is 4
// bytes per row, not per row plus the final offset that the buffer holds: a
// string column counts 4 bytes per row and its UTF-8 bytes, a float64 or
// int64 column 8 bytes per row, and a list column 4 bytes per row and its
// values counted as a column of its element type. There is no validity
// bitmap because there are no nulls.
func (t Table) nbytes() int64 {
	var n int64
	for _, c := range t.Columns {
		rows := c.rows()
		lo, hi := 0, rows
		if c.Type.isList() {
			n += 4 * int64(rows)
			lo, hi = c.valueRange(0, rows)
		}
		switch c.Type.elem() {
		case String:
			n += 4 * int64(hi-lo)
			for _, s := range c.Strings[lo:hi] {
				n += int64(len(s))
			}
		case Float64, Int64:
			n += 8 * int64(hi-lo)
		}
	}
	return n
}

// shardCount is datasets' int(nbytes / max_shard_size) + 1, capped at the row
// count, and at least 1 so that an empty split still has a file with its
// schema.
func shardCount(nbytes, maxShardBytes int64, rows int) int {
	n := nbytes/maxShardBytes + 1
	if n > int64(rows) {
		n = int64(rows)
	}
	if n < 1 {
		n = 1
	}
	return int(n)
}

// shardBounds returns the rows [lo, hi) of shard i of n, split as
// Dataset.shard(num_shards=n, index=i, contiguous=True) does: the first
// rows%n shards get one row more.
func shardBounds(rows, n, i int) (lo, hi int) {
	div, mod := rows/n, rows%n
	lo = div*i + min(i, mod)
	hi = lo + div
	if i < mod {
		hi++
	}
	return lo, hi
}

// writeShard writes rows [lo, hi) as one Arrow IPC stream to path, in record
// batches of at most batchRows rows, and feeds the bytes to sum as well.
func writeShard(path string, enc *batchEncoder, lo, hi, batchRows int, sum hash.Hash) (err error) {
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
	w := ipc.NewWriter(io.MultiWriter(bw, sum), ipc.WithSchema(enc.schema))
	// Close writes the schema if no batch did (an empty split) and the
	// end-of-stream marker.
	return writeRecords(w, bw, path, lo, hi, batchRows, enc.record)
}

// writeRecords writes rows [lo, hi) to w in records of at most step rows
// made by record, then closes w and flushes bw, the buffer beneath it.
func writeRecords(w *ipc.Writer, bw *bufio.Writer, path string, lo, hi, step int, record func(lo, hi int) (arrow.RecordBatch, error)) error {
	for start := lo; start < hi; start += step {
		end := min(start+step, hi)
		rec, err := record(start, end)
		if err != nil {
			_ = w.Close()
			return fmt.Errorf("write shard %s: %w", path, err)
		}
		err = w.Write(rec)
		rec.Release()
		if err != nil {
			_ = w.Close()
			return fmt.Errorf("write shard %s: rows %d to %d: %w", path, start, end, err)
		}
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("write shard %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write shard %s: %w", path, err)
	}
	return nil
}

// batchEncoder builds record batches straight from the table's Go slices.
// Numeric values, in scalar and list columns alike, are handed to Arrow
// without a copy; strings are packed into offsets and data buffers, and list
// offsets rebased to start at 0 in int32, in buffers that are reused from
// batch to batch, which is safe because ipc.Writer.Write has written a
// batch's buffers out by the time it returns. Memory use is the table plus
// one batch.
type batchEncoder struct {
	schema      *arrow.Schema
	cols        []Column
	offsets     [][]int32 // per column: string offsets; nil for numeric columns
	data        [][]byte  // per column: string data; nil for numeric columns
	listOffsets [][]int32 // per column: list offsets; nil for scalar columns
	arrays      []arrow.Array
}

func newBatchEncoder(t Table) *batchEncoder {
	return &batchEncoder{
		schema:      arrowSchema(t.Columns),
		cols:        t.Columns,
		offsets:     make([][]int32, len(t.Columns)),
		data:        make([][]byte, len(t.Columns)),
		listOffsets: make([][]int32, len(t.Columns)),
		arrays:      make([]arrow.Array, len(t.Columns)),
	}
}

// arrowSchema is the schema pyarrow gives a table built by Dataset.from_dict:
// every field nullable, and the `huggingface` metadata with the features.
func arrowSchema(cols []Column) *arrow.Schema {
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: c.Name, Type: arrowType(c.Type), Nullable: true}
	}
	md := arrow.NewMetadata([]string{"huggingface"}, []string{schemaMetadataJSON(cols)})
	return arrow.NewSchema(fields, &md)
}

// arrowType is the Arrow type pyarrow gives a column of type t. A list's
// child field is named "item" and nullable, as pa.list_ makes it.
func arrowType(t Type) arrow.DataType {
	switch t {
	case String:
		return arrow.BinaryTypes.String
	case Float64:
		return arrow.PrimitiveTypes.Float64
	case Int64:
		return arrow.PrimitiveTypes.Int64
	case ListString, ListFloat64, ListInt64:
		return arrow.ListOf(arrowType(t.elem()))
	}
	panic("hfds: unknown column type") // validate rejects these first
}

// record returns rows [lo, hi) as a record batch. Its buffers are only valid
// until the next call.
func (e *batchEncoder) record(lo, hi int) (arrow.RecordBatch, error) {
	n := hi - lo
	for j, c := range e.cols {
		var d arrow.ArrayData
		var err error
		if c.Type.isList() {
			d, err = e.listData(j, lo, hi)
		} else {
			d, err = e.valuesData(j, c.Type, lo, hi)
		}
		if err != nil {
			e.releaseArrays(j)
			return nil, fmt.Errorf("column %q rows %d to %d: %w", c.Name, lo, hi, err)
		}
		e.arrays[j] = array.MakeFromData(d)
		d.Release()
	}
	rec := array.NewRecordBatch(e.schema, e.arrays, int64(n))
	e.releaseArrays(len(e.arrays))
	return rec, nil
}

// valuesData returns values [lo, hi) of column j as an array of type t, a
// scalar type: the column itself, or the values of a list column.
func (e *batchEncoder) valuesData(j int, t Type, lo, hi int) (arrow.ArrayData, error) {
	c := e.cols[j]
	var buffers []*memory.Buffer
	switch t {
	case String:
		offsets, data, err := e.packStrings(j, c.Strings[lo:hi])
		if err != nil {
			return nil, err
		}
		buffers = []*memory.Buffer{nil, memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(offsets)), memory.NewBufferBytes(data)}
	case Float64:
		buffers = []*memory.Buffer{nil, memory.NewBufferBytes(arrow.Float64Traits.CastToBytes(c.Float64s[lo:hi]))}
	case Int64:
		buffers = []*memory.Buffer{nil, memory.NewBufferBytes(arrow.Int64Traits.CastToBytes(c.Int64s[lo:hi]))}
	}
	return array.NewData(arrowType(t), hi-lo, buffers, nil, 0, 0), nil
}

// listData returns rows [lo, hi) of list column j: its offsets, rebased to
// start at 0 in column j's scratch buffer, over the values those rows hold.
func (e *batchEncoder) listData(j, lo, hi int) (arrow.ArrayData, error) {
	c := e.cols[j]
	vlo, vhi := c.valueRange(lo, hi)
	if vhi-vlo > maxOffset {
		return nil, fmt.Errorf("%d values: %w", vhi-vlo, ErrListTooLong)
	}
	child, err := e.valuesData(j, c.Type.elem(), vlo, vhi)
	if err != nil {
		return nil, err
	}
	defer child.Release()
	offsets := e.listOffsets[j][:0]
	for _, o := range c.Offsets[lo : hi+1] {
		offsets = append(offsets, int32(o-vlo))
	}
	e.listOffsets[j] = offsets
	buffers := []*memory.Buffer{nil, memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(offsets))}
	return array.NewData(e.schema.Field(j).Type, hi-lo, buffers, []arrow.ArrayData{child}, 0, 0), nil
}

func (e *batchEncoder) releaseArrays(n int) {
	for i := range n {
		e.arrays[i].Release()
		e.arrays[i] = nil
	}
}

// packStrings lays out ss as Arrow utf8 offsets and data in column j's
// scratch buffers.
func (e *batchEncoder) packStrings(j int, ss []string) ([]int32, []byte, error) {
	size := 0
	for _, s := range ss {
		size += len(s)
	}
	if size > maxOffset {
		return nil, nil, fmt.Errorf("%d bytes: %w", size, ErrStringDataTooBig)
	}
	offsets := e.offsets[j][:0]
	data := e.data[j][:0]
	if cap(data) < size {
		data = make([]byte, 0, size)
	}
	offsets = append(offsets, 0)
	for _, s := range ss {
		data = append(data, s...)
		offsets = append(offsets, int32(len(data)))
	}
	e.offsets[j], e.data[j] = offsets, data
	return offsets, data, nil
}

func writeFile(path string, b []byte) error {
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return nil
}
