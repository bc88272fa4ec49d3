package shardfile

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/hardneg/hardneg/scan"
)

var testLayout = Layout{Bands: 2, Keep: 3, Window: 4, Guards: 2, Anchors: 100, Queries: 50, Corpus: 1000}

func randomRecords(r *rand.Rand, layout Layout, n int) []Record {
	var out []Record
	anchor := 0
	picks := func(k int) []scan.Pick {
		var ps []scan.Pick
		for range k {
			ps = append(ps, scan.Pick{Row: int32(r.IntN(layout.Corpus)), Sim: r.Float32(), Key: r.Uint32()})
		}
		return ps
	}
	for range n {
		anchor += 1 + r.IntN(3)
		rec := Record{Anchor: uint32(anchor), Query: uint32(r.IntN(layout.Queries)), Guards: make([]uint32, layout.Guards)}
		rec.Result.AboveCeiling, rec.Result.BelowFloor, rec.Result.NearDuplicates = int64(r.IntN(9)), int64(r.IntN(9)), int64(r.IntN(9))
		for range 1 + r.IntN(3) {
			rec.PositiveSims = append(rec.PositiveSims, r.Float32())
		}
		for g := range rec.Guards {
			rec.Guards[g] = uint32(r.IntN(50))
		}
		if layout.Bands > 0 {
			rec.Result.Counts = make([]int64, layout.Bands)
			rec.Result.Picks = make([][]scan.Pick, layout.Bands)
			for b := range layout.Bands {
				pool := r.IntN(6)
				rec.Result.Counts[b] = int64(pool)
				rec.Result.Picks[b] = picks(min(pool, layout.Keep))
			}
		}
		rec.Result.Window = picks(r.IntN(layout.Window + 1))
		out = append(out, rec)
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, layout := range []Layout{testLayout, {Window: 7, Anchors: 100, Queries: 50, Corpus: 1000}} {
		recs := randomRecords(r, layout, 20)
		data, err := Encode([]byte(`{"shard": 1}`), layout, recs)
		if err != nil {
			t.Fatal(err)
		}
		h, err := Header(data)
		if err != nil || string(h) != `{"shard": 1}` {
			t.Fatalf("header %q, %v", h, err)
		}
		got, err := Decode(data, layout)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, recs) {
			t.Fatalf("decoded records differ:\n got %+v\nwant %+v", got[0], recs[0])
		}
	}
}

// reseal rewrites the checksum after a change, the way a crafted file
// would carry a valid one.
func reseal(data []byte) []byte {
	body := data[:len(data)-sha256.Size]
	sum := sha256.Sum256(body)
	return append(body[:len(body):len(body)], sum[:]...)
}

func TestDecodeRefusesCraftedCounts(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	recs := randomRecords(r, testLayout, 3)
	data, err := Encode([]byte(`{}`), testLayout, recs)
	if err != nil {
		t.Fatal(err)
	}
	countAt := len(magic) + 8 + 2
	for _, tc := range []struct {
		name  string
		patch func(b []byte)
	}{
		{"record count", func(b []byte) { binary.LittleEndian.PutUint32(b[countAt:], 1<<31) }},
		{"positive count", func(b []byte) { binary.LittleEndian.PutUint32(b[countAt+4+32:], 4e9) }},
		{"anchor out of range", func(b []byte) { binary.LittleEndian.PutUint32(b[countAt+4:], 5000) }},
		{"counter", func(b []byte) { binary.LittleEndian.PutUint64(b[countAt+12:], 1<<62) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := append([]byte(nil), data...)
			tc.patch(b)
			_, err := Decode(reseal(b), testLayout)
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error %v, want ErrFormat", err)
			}
		})
	}
	trunc := data[:len(data)-40]
	if _, err := Decode(trunc, testLayout); !errors.Is(err, ErrFormat) {
		t.Fatalf("truncated file: %v", err)
	}
}

// FuzzDecode feeds arbitrary bytes, resealed so that the checksum passes,
// to the decoder: it must return records or ErrFormat, never panic, and
// never allocate beyond a small multiple of the input.
func FuzzDecode(f *testing.F) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{0, 1, 4} {
		data, err := Encode([]byte(`{"x": 1}`), testLayout, randomRecords(r, testLayout, n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > sha256.Size {
			data = reseal(data)
		}
		recs, err := Decode(data, testLayout)
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error %v does not wrap ErrFormat", err)
			}
			return
		}
		for _, rec := range recs {
			if len(rec.PositiveSims) > len(data) || len(rec.Result.Window) > testLayout.Window {
				t.Fatalf("decoded more than the file holds: %+v", rec)
			}
		}
	})
}
