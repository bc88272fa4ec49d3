package guard

import (
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// synthVocab makes n distinct terms shaped like the real list: Hangul words
// of 2 to 6 syllables drawn from 1,500 syllables with a skew towards common
// ones, about 8% two-word terms, 2% Latin, and 10% an earlier term with a
// syllable or word added (임상 → 임상증상), the shape of the known false
// negatives.
func synthVocab(rng *rand.Rand, n int) []string {
	zipf := rand.NewZipf(rng, 1.1, 20, 1499)
	syllable := func() rune { return rune(0xAC00 + 7*int(zipf.Uint64())) }
	word := func(lo, hi int) string {
		var b strings.Builder
		for range lo + rng.IntN(hi-lo+1) {
			b.WriteRune(syllable())
		}
		return b.String()
	}
	seen := make(map[string]bool, n)
	terms := make([]string, 0, n)
	for len(terms) < n {
		var t string
		switch c := rng.IntN(100); {
		case c < 80 || len(terms) == 0:
			t = word(2, 6)
		case c < 88:
			t = word(2, 4) + " " + word(1, 4)
		case c < 90:
			var b strings.Builder
			for range 3 + rng.IntN(8) {
				b.WriteByte("abcdefghijklmnopqrstuvwxyzABCDE"[rng.IntN(31)])
			}
			t = b.String()
		default:
			base := terms[rng.IntN(len(terms))]
			if rng.IntN(2) == 0 {
				t = base + word(1, 2)
			} else {
				t = word(1, 2) + base
			}
		}
		if !seen[t] {
			seen[t] = true
			terms = append(terms, t)
		}
	}
	return terms
}

type benchData struct {
	terms     []string
	anchors   []int32
	positives [][]int32
}

var benchOnce = sync.OnceValue(func() benchData {
	rng := rand.New(rand.NewPCG(11, 12))
	terms := synthVocab(rng, 150_000)
	// 28,000 distinct anchors with 1 to 4 positives, 2.5 on average.
	perm := rng.Perm(len(terms))
	d := benchData{terms: terms, anchors: make([]int32, 28_000), positives: make([][]int32, 28_000)}
	for i := range d.anchors {
		d.anchors[i] = int32(perm[i])
		for range 1 + rng.IntN(4) {
			d.positives[i] = append(d.positives[i], int32(perm[28_000+rng.IntN(len(terms)-28_000)]))
		}
	}
	return d
})

var benchRules = []struct {
	name  string
	rules Rules
}{
	{"normalized", Rules{Normalized: true}},
	{"contains2", Rules{Contains: 2}},
	{"edit1", Rules{EditDistance: 1}},
	{"edit2", Rules{EditDistance: 2}},
	{"edit2-min5", Rules{EditDistance: 2, EditMinRunes: 5}},
	{"all-edit1", Rules{Normalized: true, Contains: 2, EditDistance: 1}},
	{"all-edit2-min5", Rules{Normalized: true, Contains: 2, EditDistance: 2, EditMinRunes: 5}},
}

// BenchmarkNewIndex builds the index over 150,000 terms and reports the heap
// it keeps (MB-index) and the size of each part.
func BenchmarkNewIndex(b *testing.B) {
	d := benchOnce()
	for _, br := range benchRules {
		b.Run(br.name, func(b *testing.B) {
			var ix *Index
			var heap float64
			for b.Loop() {
				ix = nil
				runtime.GC()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				ix = NewIndex(d.terms, br.rules)
				runtime.GC()
				runtime.ReadMemStats(&after)
				heap = float64(after.HeapAlloc) - float64(before.HeapAlloc)
			}
			b.ReportMetric(heap/1e6, "MB-index")
			b.ReportMetric(float64(len(ix.delRows)), "deletion-entries")
			runtime.KeepAlive(ix)
		})
	}
}

// BenchmarkExclusionsAll queries the 28,000 anchors with their positives.
func BenchmarkExclusionsAll(b *testing.B) {
	d := benchOnce()
	for _, br := range benchRules {
		for _, threads := range []int{1, 2} {
			b.Run(br.name+"/threads="+string(rune('0'+threads)), func(b *testing.B) {
				ix := NewIndex(d.terms, br.rules)
				var excluded int
				start := time.Now()
				for b.Loop() {
					rows, _ := ix.ExclusionsAll(d.anchors, d.positives, threads)
					excluded = 0
					for _, r := range rows {
						excluded += len(r)
					}
				}
				b.ReportMetric(float64(excluded)/float64(len(d.anchors)), "rows/anchor")
				b.ReportMetric(time.Since(start).Seconds()/float64(b.N)*1e6/float64(len(d.anchors)), "µs/anchor")
			})
		}
	}
}
