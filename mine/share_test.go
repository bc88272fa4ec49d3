package mine

import (
	"context"
	"reflect"
	"testing"
	"unsafe"
)

// TestResidentCorpusServesTheRows wants a corpus held whole in float32 to
// serve the positives' rows, and in the synonym job the anchors' rows too,
// without copies: at seed scale the copies cost about 250 MB. With --store
// f16 or a streamed corpus the rows are read on their own. The positives'
// rows are held only for the near-duplicate guard, and their similarities
// are the same either way.
func TestResidentCorpusServesTheRows(t *testing.T) {
	inCorpus := func(p *Prepared, v []float32) bool {
		if p.corpus == nil || p.corpus.Data == nil || len(v) == 0 {
			return false
		}
		lo := uintptr(unsafe.Pointer(unsafe.SliceData(p.corpus.Data)))
		at := uintptr(unsafe.Pointer(&v[0]))
		return at >= lo && at < lo+uintptr(len(p.corpus.Data))*4
	}
	nearDup := func(s Settings) Settings { s.NearDuplicates = 0.95; return s }
	syn := DefaultSettings(smallData(t))
	var sims [][]float32 // the synonym job's positives' similarities in float32
	for _, tc := range []struct {
		name                   string
		s                      Settings
		anchorsIn, positivesIn bool
		synF32                 bool
	}{
		{"synonym job, whole, f32", nearDup(syn), true, true, true},
		{"corpus, whole, f32", nearDup(beirSettings(beirData(t), t.TempDir())), false, true, false},
		{"synonym job, f16", func() Settings { s := nearDup(syn); s.Store = StoreF16; return s }(), false, false, false},
		{"synonym job, streamed", func() Settings { s := nearDup(syn); s.ChunkRows = 100; return s }(), false, false, true},
		{"synonym job, streamed, no guard", func() Settings { s := syn; s.ChunkRows = 100; return s }(), false, false, true},
		{"synonym job, whole, no guard", syn, true, true, true},
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
			if tc.synF32 {
				if sims != nil && !reflect.DeepEqual(sims, p.PositiveSims) {
					t.Error("the positives' similarities differ from the first setting's")
				}
				sims = p.PositiveSims
			}
			if tc.s.NearDuplicates == 0 {
				if p.posVecs != nil {
					t.Errorf("%d positives' rows held without the near-duplicate guard", len(p.posVecs))
				}
				return
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
