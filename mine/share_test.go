package mine

import (
	"context"
	"testing"
	"unsafe"
)

// TestResidentCorpusServesTheRows wants a corpus held whole in float32 to
// serve the positives' rows, and in the synonym job the anchors' rows too,
// without copies: at seed scale the copies cost about 250 MB. With --store
// f16 or a streamed corpus the rows are read on their own.
func TestResidentCorpusServesTheRows(t *testing.T) {
	inCorpus := func(p *Prepared, v []float32) bool {
		if p.corpus == nil || p.corpus.Data == nil || len(v) == 0 {
			return false
		}
		lo := uintptr(unsafe.Pointer(unsafe.SliceData(p.corpus.Data)))
		at := uintptr(unsafe.Pointer(&v[0]))
		return at >= lo && at < lo+uintptr(len(p.corpus.Data))*4
	}
	for _, tc := range []struct {
		name                   string
		s                      Settings
		anchorsIn, positivesIn bool
	}{
		{"synonym job, whole, f32", DefaultSettings(smallData(t)), true, true},
		{"corpus, whole, f32", beirSettings(beirData(t), t.TempDir()), false, true},
		{"synonym job, f16", func() Settings { s := DefaultSettings(smallData(t)); s.Store = StoreF16; return s }(), false, false},
		{"synonym job, streamed", func() Settings { s := DefaultSettings(smallData(t)); s.ChunkRows = 100; return s }(), false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Prepare(context.Background(), tc.s, nil, Hooks{})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			if got := p.queries == p.corpus; got != tc.anchorsIn {
				t.Errorf("anchors' rows are the corpus's: %v, want %v", got, tc.anchorsIn)
			}
			if len(p.posVecs) == 0 {
				t.Fatal("no positives")
			}
			for r, v := range p.posVecs {
				if got := inCorpus(p, v); got != tc.positivesIn {
					t.Fatalf("positive row %d in the corpus matrix: %v, want %v", r, got, tc.positivesIn)
				}
			}
		})
	}
}
