package synth

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/hardneg/hardneg/npy"
)

// ErrConfig is returned, wrapped with the reason, by Generate for a Config
// it cannot honour. Test for it with errors.Is.
var ErrConfig = errors.New("synth: invalid config")

// Config says what to generate. The synonym groups hold exactly Anchors
// terms (Terms/5 when Anchors is 0). With HeldOut 0 every one of them is
// paired with at least one other member, so the pairs yield exactly Anchors
// distinct in-vocabulary anchors; held-out members (see HeldOut) are in no
// pair, so the pairs yield that many fewer.
type Config struct {
	Terms   int       // vocabulary size
	Dim     int       // embedding dimension
	Anchors int       // roughly how many terms the synonym groups hold (0: about Terms/5)
	Seed    uint64    // every random choice derives from it
	DType   npy.DType // npy.Float16 or npy.Float32 (npy.Float64 is accepted too) for the written .npy

	// HeldOut is the share, in [0, 1), of all within-group pairs of terms
	// (k(k-1)/2 for a group of k) that are left out of the pairs file and
	// written to HeldOutFile instead: true synonyms that mining does not
	// know about. 0 holds none out. It is a target: the groups must stay
	// connected, so a large share may not be reachable; heldout.go says
	// which pairs are chosen. The terms and embeddings do not depend on
	// it, and the pairs file is the one HeldOut 0 writes without the
	// held-out pairs' lines (its blank lines fall elsewhere).
	HeldOut float64
}

// DefaultHeldOut is the HeldOut of DefaultConfig.
const DefaultHeldOut = 0.1

// DefaultConfig is the demo size: it mines in well under a second. Dim is
// 128 rather than a smaller number because below that the noise between
// random vectors alone spreads random pairs into the medium band for every
// anchor, and the band structure the demo is meant to show washes out.
func DefaultConfig() Config {
	return Config{Terms: 5000, Dim: 128, Anchors: 1000, Seed: 42, DType: npy.Float32, HeldOut: DefaultHeldOut}
}

// Pair is one line of the pairs file, with the fields the upstream
// pipeline writes. Only Source, Target and Similarity matter to mining.
type Pair struct {
	Source         string  `json:"source"`
	Target         string  `json:"target"`
	Similarity     float64 `json:"similarity"`
	Category       string  `json:"category"`
	IGScore        float64 `json:"ig_score"`
	PMIScore       float64 `json:"pmi_score"`
	CEScore        float64 `json:"ce_score"`
	NFiltersPassed int     `json:"n_filters_passed"`
}

// Dataset is a generated data set, held in memory.
type Dataset struct {
	Config     Config
	Terms      []string
	Embeddings []float32 // Terms x Dim, row-major, deliberately NOT unit length
	Pairs      []Pair    // in file order, without the held-out pairs
	Groups     [][]int   // the synonym groups (term indices) the pairs were drawn from, the hub first, for tests
	OOVPairs   int       // how many pairs name a term that is not in Terms

	// HeldOutPairs are true synonyms (two terms of one group) that Pairs
	// lists in neither direction, each pair once, in HeldOutFile's order.
	// They are ground truth for evaluation: a mined negative that is one of
	// them, in either direction, is a false negative. Pairs of a group of
	// 4 or more that the generator never lists are not among them, even
	// with HeldOut 0; Groups holds every true synonym.
	HeldOutPairs []Pair
	// HeldOutMembers are the rows of the terms left out of every pair (the
	// second kind of held-out pair); every pair of one of them with another
	// member of its group is in HeldOutPairs.
	HeldOutMembers []int
}

// Limits on Config, named in the errors.
const (
	minTerms = 10
	minDim   = 2
	// maxElems keeps Terms*Dim within what a []float32 and an int can index
	// on any platform the project builds for.
	maxElems = 1 << 31
)

func (c Config) anchors() int {
	if c.Anchors == 0 {
		return c.Terms / 5
	}
	return c.Anchors
}

// Validate reports why c cannot be generated, or nil.
func (c Config) Validate() error {
	switch {
	case c.Terms < minTerms:
		return fmt.Errorf("%w: terms must be at least %d, got %d", ErrConfig, minTerms, c.Terms)
	case c.Dim < minDim:
		return fmt.Errorf("%w: dim must be at least %d, got %d", ErrConfig, minDim, c.Dim)
	case int64(c.Terms)*int64(c.Dim) > maxElems:
		return fmt.Errorf("%w: terms x dim = %d x %d is more than %d values", ErrConfig, c.Terms, c.Dim, int64(maxElems))
	case c.Anchors < 0:
		return fmt.Errorf("%w: anchors must not be negative, got %d", ErrConfig, c.Anchors)
	case c.Anchors == 1:
		return fmt.Errorf("%w: anchors must be 0 (about terms/5) or at least 2, got 1", ErrConfig)
	case c.Anchors > c.Terms:
		return fmt.Errorf("%w: anchors (%d) must not exceed terms (%d)", ErrConfig, c.Anchors, c.Terms)
	case !(c.HeldOut >= 0 && c.HeldOut < 1): // also NaN
		return fmt.Errorf("%w: held-out share must be in [0, 1), got %g", ErrConfig, c.HeldOut)
	}
	switch c.DType {
	case npy.Float16, npy.Float32, npy.Float64:
	default:
		return fmt.Errorf("%w: dtype %q is not one of %q, %q, %q", ErrConfig, string(c.DType), string(npy.Float16), string(npy.Float32), string(npy.Float64))
	}
	return nil
}

// Generate builds the data set that cfg describes. The result depends only
// on cfg, not on the number of CPUs.
func Generate(cfg Config) (*Dataset, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	lay := newLayout(cfg)
	terms, oov := makeNames(cfg, lay)
	emb := make([]float32, cfg.Terms*cfg.Dim)
	embed(cfg, lay, emb)
	d := &Dataset{Config: cfg, Terms: terms, Embeddings: emb}
	l := makePairs(cfg, lay, terms, emb, oov)
	d.Groups, d.OOVPairs = l.groups, l.oov
	d.Pairs, d.HeldOutPairs, d.HeldOutMembers = holdOut(cfg, terms, emb, l)
	return d, nil
}

// layout is the hidden structure: domains made of topics made of
// sub-clusters made of synonym groups and lone terms. It is laid out over
// "slots" 0..Terms-1, each domain, topic, sub-cluster and group a contiguous
// run of slots; perm then scatters the slots over rows, so that neighbours in
// the structure are not neighbours in the file.
type layout struct {
	domains   []span
	topics    []span
	subs      []span
	groups    []span
	slotGroup []int32 // group of each slot, or -1
	perm      []int   // slot -> row
}

// span is a run of slots [start, end). For a domain, first and last are its
// topics [first, last); for a topic, its sub-clusters, and parent its
// domain. share is the share of a term's squared norm on the span's own
// direction; a topic's domShare is its members' share on its domain's.
type span struct {
	start, end  int
	first, last int
	parent      int
	share       float64
	domShare    float64
}

// groupSize draws a synonym group size in 2..10, mostly 2 or 3.
func groupSize(r *rand.Rand) int {
	// Cumulative percentages for sizes 2..10.
	cum := [...]int{46, 72, 84, 91, 95, 97, 98, 99, 100}
	x := r.IntN(100)
	for i, c := range cum {
		if x < c {
			return i + 2
		}
	}
	return 10
}

// logNormalSize draws a size with the given median, spread (sigma of the log)
// and minimum.
func logNormalSize(r *rand.Rand, median, sigma float64, lo int) int {
	return max(lo, int(math.Round(median*math.Exp(sigma*r.NormFloat64()))))
}

// The levels below are the share of the squared norm that two members of a
// span have in common, above the global share: two terms of one domain have
// a cosine near 0.3 plus the domain level, two of one topic near 0.3 plus
// the topic level, and so on. Each level includes the ones above it.

// domainLevel: terms of one domain but different topics are mostly easy for
// each other, with a tail into the medium band when the level is high. Two
// topics of one domain share the geometric mean of their shares.
func domainLevel(r *rand.Rand) float64 {
	return uniform(r, 0.05, 0.22)
}

// topicLevel: loose topics leave their terms mostly in the easy band of each
// other, middling ones put them in the medium band, tight ones in the hard
// band.
func topicLevel(r *rand.Rand) float64 {
	switch x := r.IntN(100); {
	case x < 30:
		return uniform(r, 0.04, 0.14)
	case x < 85:
		return uniform(r, 0.16, 0.36)
	default:
		return uniform(r, 0.38, 0.52)
	}
}

// subLevel: most sub-clusters are tight enough that their members are hard
// candidates for each other, some are not.
func subLevel(r *rand.Rand) float64 {
	if r.IntN(100) < 22 {
		return uniform(r, 0.05, 0.3)
	}
	return uniform(r, 0.42, 0.6)
}

func newLayout(cfg Config) *layout {
	r := newRand(cfg.Seed, streamLayout, 0)
	n := cfg.Terms
	lay := &layout{slotGroup: make([]int32, n)}

	// Units: each group is one unit of its size, each lone term one unit.
	var sizes []int
	left := cfg.anchors()
	for left >= 2 {
		k := min(groupSize(r), left)
		if left-k == 1 {
			k = min(k+1, left) // do not strand one anchor
			if k > 10 {
				k = 9
			}
		}
		sizes = append(sizes, k)
		left -= k
	}
	grouped := 0
	for _, k := range sizes {
		grouped += k
	}
	units := make([]int32, 0, len(sizes)+n-grouped)
	for g := range sizes {
		units = append(units, int32(g))
	}
	for range n - grouped {
		units = append(units, -1)
	}
	r.Shuffle(len(units), func(i, j int) { units[i], units[j] = units[j], units[i] })
	lay.groups = make([]span, len(sizes))

	// Fill domains, topics and sub-clusters of random target sizes with
	// units in turn; a span ends at the first unit boundary past its target,
	// so no group straddles two sub-clusters.
	// In a small vocabulary one huge topic would be most of it.
	maxTopic := min(max(50, n/25), 1500)
	slot, u := 0, 0
	for u < len(units) {
		dom := span{start: slot, first: len(lay.topics), share: domainLevel(r)}
		domTopics := logNormalSize(r, 4, 0.8, 1)
		for u < len(units) && len(lay.topics)-dom.first < domTopics {
			// A few topics sit apart from their domain, so that
			// even in a small vocabulary some anchors see no medium band.
			domShare := dom.share * uniform(r, 0.5, 1)
			if r.IntN(100) < 15 {
				domShare = 0
			}
			tLevel := max(topicLevel(r), domShare)
			topic := span{start: slot, first: len(lay.subs), parent: len(lay.domains), share: tLevel - domShare, domShare: domShare}
			topicSize := min(logNormalSize(r, 60, 1.0, 4), maxTopic)
			for u < len(units) && slot-topic.start < topicSize {
				sub := span{start: slot, parent: len(lay.topics), share: max(0, subLevel(r)-tLevel)}
				subSize := logNormalSize(r, 5, 0.9, 1)
				for u < len(units) && slot-sub.start < subSize {
					g := units[u]
					u++
					if g < 0 {
						lay.slotGroup[slot] = -1
						slot++
						continue
					}
					k := sizes[g]
					lay.groups[g] = span{start: slot, end: slot + k, parent: len(lay.subs)}
					for i := range k {
						lay.slotGroup[slot+i] = g
					}
					slot += k
				}
				sub.end = slot
				lay.subs = append(lay.subs, sub)
			}
			topic.end, topic.last = slot, len(lay.subs)
			lay.topics = append(lay.topics, topic)
		}
		dom.end, dom.last = slot, len(lay.topics)
		lay.domains = append(lay.domains, dom)
	}
	lay.perm = r.Perm(n)
	return lay
}

// makeNames names every slot's term, in slot order, and returns the terms in
// row order and a few extra unique names for the out-of-vocabulary pairs.
func makeNames(cfg Config, lay *layout) (terms, oov []string) {
	nOOV := oovCount(cfg.anchors())
	nm := newNamer(newRand(cfg.Seed, streamNames, 0), cfg.Terms+nOOV)
	terms = make([]string, cfg.Terms)
	for slot := 0; slot < cfg.Terms; {
		g := lay.slotGroup[slot]
		if g < 0 {
			terms[lay.perm[slot]] = nm.fresh(pickScript(nm.r))
			slot++
			continue
		}
		s := pickScript(nm.r)
		hub := nm.fresh(s)
		terms[lay.perm[slot]] = hub
		for i := slot + 1; i < lay.groups[g].end; i++ {
			terms[lay.perm[i]] = nm.variant(hub, s)
		}
		slot = lay.groups[g].end
	}
	oov = make([]string, nOOV)
	for i := range oov {
		oov[i] = nm.fresh(pickScript(nm.r))
	}
	return terms, oov
}

// oovCount is how many pairs name a term outside the vocabulary: about 1% of
// the pairs (about 1.1 pairs per anchor), and at least one.
func oovCount(anchors int) int {
	return max(1, anchors/90)
}
