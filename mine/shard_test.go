package mine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/hardneg/hardneg/shardfile"
)

// TestShardOfIsPinned keeps the partition stable: shard files written by one
// version must merge with another's.
func TestShardOfIsPinned(t *testing.T) {
	for _, tc := range []struct {
		term      string
		k7, k1000 int
	}{
		{"야당", 3, 568},
		{"李滉", 1, 429},
		{"apple", 3, 691},
		{"", 4, 8},
	} {
		if k := ShardOf(tc.term, 7); k != tc.k7 {
			t.Errorf("ShardOf(%q, 7) = %d, want %d", tc.term, k, tc.k7)
		}
		if k := ShardOf(tc.term, 1000); k != tc.k1000 {
			t.Errorf("ShardOf(%q, 1000) = %d, want %d", tc.term, k, tc.k1000)
		}
	}
}

// TestShardFileRoundTrip writes a shard with the library, reads it back,
// re-encodes it to the same bytes, and refuses every truncation and every
// flipped byte without panicking.
func TestShardFileRoundTrip(t *testing.T) {
	data := smallData(t)
	cfg := DefaultSettings(data)
	cfg.OutDir = t.TempDir()
	res, err := RunShard(context.Background(), cfg, Cell{K: 1, N: 3, J: 0, M: 1}, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(res.Path)
	if err != nil {
		t.Fatal(err)
	}
	sh, err := readShardFile(res.Path)
	if err != nil {
		t.Fatal(err)
	}
	if len(sh.records) != res.Anchors || res.Anchors == 0 || sh.header.Shard != 1 || sh.header.Shards != 3 {
		t.Fatalf("read back %d records of shard %d/%d, wrote %d", len(sh.records), sh.header.Shard, sh.header.Shards, res.Anchors)
	}
	hdr, err := shardfile.Header(b)
	if err != nil {
		t.Fatal(err)
	}
	again, err := shardfile.Encode(hdr, sh.header.layout(), sh.records)
	if err != nil || !bytes.Equal(again, b) {
		t.Fatalf("re-encoding gives different bytes (%v)", err)
	}
	dir := t.TempDir()
	check := func(what string, c []byte) {
		p := filepath.Join(dir, "x"+ShardExt)
		if err := os.WriteFile(p, c, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := readShardFile(p); !errors.Is(err, ErrInput) {
			t.Fatalf("a shard file %s was accepted (%v)", what, err)
		}
	}
	for n := 0; n < len(b); n += 1 + n/64 {
		check(fmt.Sprintf("cut to %d of %d bytes", n, len(b)), b[:n])
	}
	for i := 0; i < len(b); i += 1 + i/32 {
		c := bytes.Clone(b)
		c[i] ^= 1
		check(fmt.Sprintf("with byte %d flipped", i), c)
	}
	if _, err := readShardFile(filepath.Join(t.TempDir(), "none"+ShardExt)); !errors.Is(err, ErrInput) {
		t.Fatalf("missing file: %v, want ErrInput", err)
	}
}

// TestMergeMatchesRun is the library's own check of the byte-identity
// promise, for grids of query shards by corpus shards.
func TestMergeMatchesRun(t *testing.T) {
	data := smallData(t)
	cfg := DefaultSettings(data)
	cfg.OutDir = t.TempDir()
	if _, err := Run(context.Background(), cfg, Hooks{}); err != nil {
		t.Fatal(err)
	}
	for _, g := range [][2]int{{4, 1}, {1, 3}, {2, 3}} {
		t.Run(fmt.Sprintf("%dx%d", g[0], g[1]), func(t *testing.T) { testMergeMatchesRun(t, cfg, g[0], g[1]) })
	}
}

func testMergeMatchesRun(t *testing.T, cfg Settings, n, m int) {
	shards := t.TempDir()
	var paths []string
	for k := range n {
		for j := range m {
			c := cfg
			c.OutDir = shards
			c.Threads = (k+j)%2 + 1 // threads never change the result
			res, err := RunShard(context.Background(), c, Cell{K: k, N: n, J: j, M: m}, Hooks{})
			if err != nil {
				t.Fatal(err)
			}
			paths = append(paths, res.Path)
		}
	}
	slices.Reverse(paths) // the order given never matters
	out := t.TempDir()
	res, err := Merge(context.Background(), MergeConfig{OutDir: out}, paths, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{cfg.Spec().TrainJSONL, cfg.Spec().ValJSONL} {
		want, _ := os.ReadFile(filepath.Join(cfg.OutDir, name))
		got, _ := os.ReadFile(filepath.Join(out, name))
		if len(want) == 0 || !bytes.Equal(want, got) {
			t.Errorf("%s differs between Run and Merge", name)
		}
	}
	if res.Stats.Inputs.Embeddings == nil || res.Stats.Inputs.Embeddings.SHA256 == "" {
		t.Error("the merged stats lost the embeddings' provenance")
	}
}

// craft rewrites a shard file's header with edit and its first record's
// first band's pick count with picks (when not 0), and seals it with a
// valid SHA-256, as someone crafting a file would.
func craft(t *testing.T, b []byte, edit func(map[string]any), picks uint32) []byte {
	t.Helper()
	hdr, err := shardfile.Header(b)
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]any
	if err := json.Unmarshal(hdr, &h); err != nil {
		t.Fatal(err)
	}
	edit(h)
	nh, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	const pre = 8 + 4 + 4
	body := slices.Concat(b[:pre-4], binary.LittleEndian.AppendUint32(nil, uint32(len(nh))), nh, b[pre+len(hdr):len(b)-sha256.Size])
	if picks != 0 {
		// count, then anchor, query, 3 counters, positives (and their
		// similarities), guards, then the first band's pool and pick count
		at := pre + len(nh) + 4 + 4 + 4 + 3*8
		np := int(binary.LittleEndian.Uint32(body[at:]))
		at += 4 + 4*np + 4*nGuards + 8
		binary.LittleEndian.PutUint32(body[at:], picks)
	}
	sum := sha256.Sum256(body)
	return append(body, sum[:]...)
}

// TestMergeBoundsCraftedCounts: SHA-256 catches accidents, not crafting. A
// shard file that claims 2^40 shards, a grid of 2^40 cells, or 4e9 picks in
// a record, must be refused without allocating more than the file and the
// settings allow (a header's shard count alone made merge allocate 8 TiB).
func TestMergeBoundsCraftedCounts(t *testing.T) {
	data := smallData(t)
	cfg := DefaultSettings(data)
	cfg.OutDir = t.TempDir()
	res, err := RunShard(context.Background(), cfg, Cell{K: 0, N: 2, J: 0, M: 1}, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(res.Path)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		edit  func(map[string]any)
		picks uint32
		want  string
	}{
		{"2^40 shards", func(h map[string]any) { h["shards"] = 1 << 40 }, 0, "shard 0 of 1099511627776"},
		{"2^20 x 2^20 cells", func(h map[string]any) { h["shards"], h["corpus_shards"] = 1<<20, 1<<20 }, 0, "and 1099511627765 more; merge needs every shard"},
		{"2^20 x 2^20 cells, the last one", func(h map[string]any) {
			h["shards"], h["corpus_shards"], h["shard"], h["corpus_shard"] = 1<<20, 1<<20, 1<<20-1, 1<<20-1
		}, 0, "missing cell (0, 0) of 1048576 x 1048576"},
		{"4e9 picks", func(map[string]any) {}, 4_000_000_000, "picks"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "shard-00000-of-00002.hnshard")
			if err := os.WriteFile(path, craft(t, good, tc.edit, tc.picks), 0o644); err != nil {
				t.Fatal(err)
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := Merge(context.Background(), MergeConfig{OutDir: t.TempDir()}, []string{dir}, Hooks{})
			runtime.ReadMemStats(&after)
			if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want ErrInput with %q", err, tc.want)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
				t.Errorf("the merge allocated %d MiB for a %d-byte file", grew>>20, len(good))
			}
		})
	}
}

// TestMergeRefusesCellsThatDisagree re-encodes one cell of a 1 x 2 grid
// without an anchor, valid checksum and all, and wants the merge to name
// the anchor the other cell still holds.
func TestMergeRefusesCellsThatDisagree(t *testing.T) {
	cfg := DefaultSettings(smallData(t))
	for j, want := range []string{"missing from the files of corpus shards 0..0", "is in 1 of the 2 corpus shards' files"} {
		dir := t.TempDir()
		c := cfg
		c.OutDir = dir
		var paths []string
		for jj := range 2 {
			res, err := RunShard(context.Background(), c, Cell{K: 0, N: 1, J: jj, M: 2}, Hooks{})
			if err != nil {
				t.Fatal(err)
			}
			paths = append(paths, res.Path)
		}
		sh, err := readShardFile(paths[j])
		if err != nil {
			t.Fatal(err)
		}
		hdr, err := json.Marshal(sh.header)
		if err != nil {
			t.Fatal(err)
		}
		b, err := shardfile.Encode(hdr, sh.header.layout(), sh.records[1:])
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(paths[j], b, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err = Merge(context.Background(), MergeConfig{OutDir: filepath.Join(t.TempDir(), "out")}, paths, Hooks{})
		if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), want) {
			t.Errorf("corpus shard %d without its first anchor: %v, want ErrInput mentioning %q", j, err, want)
		}
	}
}
