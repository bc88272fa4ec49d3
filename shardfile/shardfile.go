// Package shardfile is the codec of hardneg's shard files: what one task
// of a sharded run writes for its anchors, and what the merge reads back.
// A shard file holds per-anchor state only, never similarities of all
// pairs: band counts, the ordered samples, the rank window, the counts of
// what limits and guards dropped, and the anchor's positive similarities.
//
// Layout, format version 2, all integers little-endian:
//
//	magic    8 bytes  "HNSHARD\x00"
//	version  uint32   2
//	hlen     uint32   length of the header
//	header   hlen bytes of JSON, the miner's: the settings, the inputs'
//	         provenance and sizes, the shard's place in the run
//	count    uint32   number of anchor records
//	records  per anchor of the shard, in increasing anchor index:
//	           anchor, query           uint32 each
//	           above, below, neardups  uint64 each
//	           positives  uint32, then that many float32 similarities
//	           guards     Layout.Guards uint32 counters
//	           per band (Layout.Bands of them):
//	             pool     uint64
//	             picks    uint32, then picks × (row, similarity bits, key) uint32
//	           window     uint32, then entries × (row, similarity bits, key) uint32
//	sha256   32 bytes of SHA-256 over everything before it
//
// Decode checks every count against the file's remaining size and the
// layout the header gives before it allocates, so a crafted file cannot make
// it allocate more than a few times its own size.
package shardfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/hardneg/hardneg/scan"
)

// Ext ends the name of every shard file.
const Ext = ".hnshard"

const (
	magic   = "HNSHARD\x00"
	version = 2
)

// ErrFormat reports a file that is not a well-formed shard file.
var ErrFormat = errors.New("malformed shard file")

// Record is what a shard file holds for one anchor.
type Record struct {
	Anchor uint32 // index in the run's anchor order
	Query  uint32 // the anchor's query row
	Result scan.Result
	// PositiveSims holds the anchor's similarity to each of its positives.
	PositiveSims []float32
	// Guards counts, per guard rule, the candidates it excluded.
	Guards []uint32
}

// Layout bounds what records may hold; the miner derives it from the
// header's settings and sizes.
type Layout struct {
	Bands   int // bands per record; 0 when only a window is kept
	Keep    int // picks per band at most
	Window  int // window entries at most
	Guards  int // guard counters per record
	Anchors int // anchor indices are below it
	Queries int // query rows are below it
	Corpus  int // candidate rows are below it
}

// Encode lays out a shard file.
func Encode(header []byte, layout Layout, records []Record) ([]byte, error) {
	le := binary.LittleEndian
	b := []byte(magic)
	b = le.AppendUint32(b, version)
	b = le.AppendUint32(b, uint32(len(header)))
	b = append(b, header...)
	b = le.AppendUint32(b, uint32(len(records)))
	appendPicks := func(picks []scan.Pick) {
		b = le.AppendUint32(b, uint32(len(picks)))
		for _, p := range picks {
			b = le.AppendUint32(b, uint32(p.Row))
			b = le.AppendUint32(b, math.Float32bits(p.Sim))
			b = le.AppendUint32(b, p.Key)
		}
	}
	for i, r := range records {
		if len(r.Guards) != layout.Guards || len(r.Result.Counts) != layout.Bands || len(r.Result.Picks) != layout.Bands {
			return nil, fmt.Errorf("shardfile: encode record %d: %d guards, %d counts, %d pick lists; the layout wants %d, %d, %d",
				i, len(r.Guards), len(r.Result.Counts), len(r.Result.Picks), layout.Guards, layout.Bands, layout.Bands)
		}
		b = le.AppendUint32(b, r.Anchor)
		b = le.AppendUint32(b, r.Query)
		b = le.AppendUint64(b, uint64(r.Result.AboveCeiling))
		b = le.AppendUint64(b, uint64(r.Result.BelowFloor))
		b = le.AppendUint64(b, uint64(r.Result.NearDuplicates))
		b = le.AppendUint32(b, uint32(len(r.PositiveSims)))
		for _, s := range r.PositiveSims {
			b = le.AppendUint32(b, math.Float32bits(s))
		}
		for _, g := range r.Guards {
			b = le.AppendUint32(b, g)
		}
		for band := range layout.Bands {
			b = le.AppendUint64(b, uint64(r.Result.Counts[band]))
			appendPicks(r.Result.Picks[band])
		}
		appendPicks(r.Result.Window)
	}
	sum := sha256.Sum256(b)
	return append(b, sum[:]...), nil
}

// Header returns the JSON header of a shard file after checking its magic,
// version and checksum, so that the caller can derive the layout.
func Header(data []byte) (header []byte, err error) {
	if len(data) < len(magic) || string(data[:len(magic)]) != magic {
		return nil, fmt.Errorf("%w: not a hardneg shard file (no HNSHARD magic)", ErrFormat)
	}
	if len(data) < len(magic)+8+sha256.Size {
		return nil, fmt.Errorf("%w: truncated: %d bytes", ErrFormat, len(data))
	}
	r := &reader{b: data[:len(data)-sha256.Size], off: len(magic)}
	if v := r.u32(); v != version {
		return nil, fmt.Errorf("%w: byte %d: format version %d; this hardneg reads version %d", ErrFormat, len(magic), v, version)
	}
	body, sum := data[:len(data)-sha256.Size], data[len(data)-sha256.Size:]
	if got := sha256.Sum256(body); !bytes.Equal(got[:], sum) {
		return nil, fmt.Errorf("%w: checksum mismatch: the file is truncated or corrupt", ErrFormat)
	}
	hlen := int(r.u32())
	h := r.bytes(hlen)
	if r.err != nil {
		return nil, fmt.Errorf("%w: byte %d: header: %v", ErrFormat, r.off, r.err)
	}
	return h, nil
}

// Decode reads the records of a shard file whose header gave layout.
func Decode(data []byte, layout Layout) ([]Record, error) {
	header, err := Header(data)
	if err != nil {
		return nil, err
	}
	r := &reader{b: data[:len(data)-sha256.Size], off: len(magic) + 8 + len(header)}
	bad := func(at int, format string, args ...any) error {
		return fmt.Errorf("%w: byte %d: %s", ErrFormat, at, fmt.Sprintf(format, args...))
	}
	count := int(r.u32())
	// The smallest record: anchor, query, three counters, a positive count,
	// the guards, a pool and a pick count per band, and a window count.
	minRecord := 4 + 4 + 3*8 + 4 + 4*layout.Guards + 12*layout.Bands + 4
	if r.err != nil || count > r.left()/minRecord {
		return nil, bad(r.off-4, "%d records cannot fit in the %d bytes left", count, r.left())
	}
	records := make([]Record, 0, count)
	prev := -1
	readPicks := func(limit, at int) ([]scan.Pick, error) {
		n := int(r.u32())
		if r.err != nil || n > limit || n > r.left()/12 {
			return nil, bad(at, "%d picks; at most %d fit the settings and the file", n, min(limit, r.left()/12))
		}
		if n == 0 {
			return nil, nil
		}
		picks := make([]scan.Pick, n)
		for i := range picks {
			picks[i] = scan.Pick{Row: int32(r.u32()), Sim: math.Float32frombits(r.u32()), Key: r.u32()}
			if picks[i].Row < 0 || int(picks[i].Row) >= layout.Corpus {
				return nil, bad(at, "pick of row %d; the corpus has %d rows", picks[i].Row, layout.Corpus)
			}
		}
		return picks, nil
	}
	for i := range count {
		at := r.off
		rec := Record{Anchor: r.u32(), Query: r.u32()}
		if r.err == nil && (int(rec.Anchor) <= prev || int(rec.Anchor) >= layout.Anchors || int(rec.Query) >= layout.Queries) {
			return nil, bad(at, "record %d: anchor %d (query row %d) is out of order or out of range (%d anchors, %d queries)",
				i, rec.Anchor, rec.Query, layout.Anchors, layout.Queries)
		}
		prev = int(rec.Anchor)
		counters := [3]uint64{r.u64(), r.u64(), r.u64()}
		for _, c := range counters {
			if c > math.MaxInt64 || c > uint64(layout.Corpus) {
				return nil, bad(at, "record %d: a counter of %d exceeds the %d corpus rows", i, c, layout.Corpus)
			}
		}
		rec.Result.AboveCeiling, rec.Result.BelowFloor, rec.Result.NearDuplicates = int64(counters[0]), int64(counters[1]), int64(counters[2])
		np := int(r.u32())
		if r.err != nil || np > r.left()/4 || np > layout.Corpus {
			return nil, bad(at, "record %d: %d positive similarities cannot fit", i, np)
		}
		rec.PositiveSims = make([]float32, np)
		for j := range rec.PositiveSims {
			rec.PositiveSims[j] = math.Float32frombits(r.u32())
		}
		if r.left() < 4*layout.Guards {
			return nil, bad(r.off, "record %d: truncated", i)
		}
		rec.Guards = make([]uint32, layout.Guards)
		for j := range rec.Guards {
			rec.Guards[j] = r.u32()
		}
		if layout.Bands > 0 {
			rec.Result.Counts = make([]int64, layout.Bands)
			rec.Result.Picks = make([][]scan.Pick, layout.Bands)
		}
		for band := range layout.Bands {
			pool := r.u64()
			if r.err != nil || pool > uint64(layout.Corpus) {
				return nil, bad(at, "record %d: band %d has a pool of %d; the corpus has %d rows", i, band, pool, layout.Corpus)
			}
			picks, err := readPicks(min(layout.Keep, int(pool)), at)
			if err != nil {
				return nil, err
			}
			rec.Result.Counts[band], rec.Result.Picks[band] = int64(pool), picks
		}
		win, err := readPicks(layout.Window, at)
		if err != nil {
			return nil, err
		}
		rec.Result.Window = win
		if r.err != nil {
			return nil, bad(r.off, "record %d: %v", i, r.err)
		}
		records = append(records, rec)
	}
	if r.err != nil {
		return nil, bad(r.off, "%v", r.err)
	}
	if r.left() != 0 {
		return nil, bad(r.off, "%d bytes after the last record", r.left())
	}
	return records, nil
}

// reader reads little-endian values; past the end it sets err and returns
// zeros.
type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) left() int { return len(r.b) - r.off }

func (r *reader) bytes(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b)-r.off {
		r.err = fmt.Errorf("truncated: want %d bytes, %d left", n, len(r.b)-r.off)
		return nil
	}
	s := r.b[r.off : r.off+n]
	r.off += n
	return s
}

func (r *reader) u32() uint32 {
	if s := r.bytes(4); s != nil {
		return binary.LittleEndian.Uint32(s)
	}
	return 0
}

func (r *reader) u64() uint64 {
	if s := r.bytes(8); s != nil {
		return binary.LittleEndian.Uint64(s)
	}
	return 0
}
