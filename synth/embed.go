package synth

import (
	"math"
	"math/rand/v2"
	"runtime"

	"golang.org/x/sync/errgroup"
)

// The shares of a term's squared norm (before its random length is applied).
// A term is
//
//	a*g + sqrt(delta)*domain + sqrt(tau)*topic + sqrt(sigma)*sub + sqrt(gamma)*group + sqrt(eps)*own
//
// with g a global direction shared by all terms and the other directions
// orthogonal to g, near-orthogonal to each other, and a^2 + delta + tau +
// sigma + gamma + eps = 1. Two terms in different domains then have a cosine
// near a_i*a_j, which the range of a puts around 0.3; two in one domain add
// about delta, two in one topic delta+tau, two in one sub-cluster
// delta+tau+sigma, and two in one group come to about 1-eps. The levels
// themselves are drawn in synth.go (domainLevel, topicLevel, subLevel).
const (
	// a is drawn from [globalLo, globalHi), or for a few terms from the
	// lower range: those anchors see fewer easy and medium candidates.
	globalLo, globalHi       = 0.47, 0.65
	globalLowLo, globalLowHi = 0.30, 0.47
	globalLowPercent         = 15

	// eps of a synonym group: cosines within it come to about 1-eps.
	groupEpsLo, groupEpsHi           = 0.05, 0.22
	groupLooseEpsLo, groupLooseEpsHi = 0.22, 0.40
	groupLoosePercent                = 6

	// minEps is the least own noise a lone term keeps, so that no two terms
	// are near copies of each other.
	minEps = 0.12

	// Row lengths are log-uniform in [normLo, normHi].
	normLo, normHi = 0.5, 2.0
)

// embed fills emb (Terms x Dim, row-major). Each topic is one unit of work
// with its own generator, so the result does not depend on scheduling.
func embed(cfg Config, lay *layout, emb []float32) {
	dim := cfg.Dim
	// The global direction, then one per domain: domains span many topics,
	// so their directions are made before the topics are farmed out.
	p := newPCG(cfg.Seed, streamGlobal, 0)
	g := make([]float32, dim)
	fillNoise(p, g)
	normalize(g)
	domains := make([]float32, len(lay.domains)*dim)
	for d := range lay.domains {
		v := domains[d*dim : (d+1)*dim]
		fillNoise(p, v)
		project(v, g)
		normalize(v)
	}

	work := func(t int) {
		newTopicWorker(cfg, lay, g, domains).run(t, emb)
	}
	procs := runtime.GOMAXPROCS(0)
	if procs <= 1 || len(lay.topics) == 1 {
		for t := range lay.topics {
			work(t)
		}
		return
	}
	var eg errgroup.Group
	eg.SetLimit(procs)
	for t := range lay.topics {
		eg.Go(func() error {
			work(t)
			return nil
		})
	}
	_ = eg.Wait() // work cannot fail
}

type topicWorker struct {
	cfg                    Config
	lay                    *layout
	g, domains             []float32
	topic, sub, grp, noise []float32
	acc                    []float32
}

func newTopicWorker(cfg Config, lay *layout, g, domains []float32) *topicWorker {
	d := cfg.Dim
	buf := make([]float32, 5*d)
	return &topicWorker{
		cfg: cfg, lay: lay, g: g, domains: domains,
		topic: buf[:d:d], sub: buf[d : 2*d : 2*d], grp: buf[2*d : 3*d : 3*d],
		noise: buf[3*d : 4*d : 4*d], acc: buf[4*d:],
	}
}

// direction fills v with a random unit vector orthogonal to g.
func (w *topicWorker) direction(p *rand.PCG, v []float32) {
	fillNoise(p, v)
	project(v, w.g)
	normalize(v)
}

func (w *topicWorker) run(t int, emb []float32) {
	p := newPCG(w.cfg.Seed, streamTopic, uint64(t))
	r := rand.New(p)
	lay := w.lay
	top := lay.topics[t]
	w.direction(p, w.topic)
	dim := w.cfg.Dim
	dom := w.domains[top.parent*dim:][:dim]
	invSqrtDim := float32(1 / math.Sqrt(float64(dim)))

	for s := top.first; s < top.last; s++ {
		sub := lay.subs[s]
		w.direction(p, w.sub)
		curGroup := int32(-1)
		var groupEps float64
		for slot := sub.start; slot < sub.end; slot++ {
			a := uniform(r, globalLo, globalHi)
			if r.IntN(100) < globalLowPercent {
				a = uniform(r, globalLowLo, globalLowHi)
			}
			length := normLo * math.Exp(r.Float64()*math.Log(normHi/normLo))
			budget := 1 - a*a
			delta, tau, sigma, gamma := top.domShare, top.share, sub.share, 0.0
			var eps float64
			if gi := lay.slotGroup[slot]; gi >= 0 {
				if gi != curGroup {
					curGroup = gi
					w.direction(p, w.grp)
					groupEps = uniform(r, groupEpsLo, groupEpsHi)
					if r.IntN(100) < groupLoosePercent {
						groupEps = uniform(r, groupLooseEpsLo, groupLooseEpsHi)
					}
				}
				eps = groupEps
				gamma = budget - delta - tau - sigma - eps
				if gamma < 0 { // the levels above leave no room: squeeze them
					f := (budget - eps) / (delta + tau + sigma)
					delta, tau, sigma, gamma = delta*f, tau*f, sigma*f, 0
				}
			} else {
				eps = budget - delta - tau - sigma
				if eps < minEps {
					f := (budget - minEps) / (delta + tau + sigma)
					delta, tau, sigma, eps = delta*f, tau*f, sigma*f, minEps
				}
			}
			fillNoise(p, w.noise)
			cd, ct, cs := float32(math.Sqrt(delta)), float32(math.Sqrt(tau)), float32(math.Sqrt(sigma))
			cg, ce := float32(math.Sqrt(gamma)), float32(math.Sqrt(eps))*invSqrtDim
			acc := w.acc
			for i := range acc {
				acc[i] = cd*dom[i] + ct*w.topic[i] + cs*w.sub[i] + cg*w.grp[i] + ce*w.noise[i]
			}
			// Remove what the own noise put along g, then set the length of
			// the residual to sqrt(budget) exactly, so that the cosine with g
			// is exactly a.
			project(acc, w.g)
			var nn float64
			for _, x := range acc {
				nn += float64(x) * float64(x)
			}
			if !(nn > 0) { // only if every draw lined up with g; keep the row finite
				nn, acc[0] = 1, 1
			}
			cr := float32(length * math.Sqrt(budget/nn))
			cgl := float32(length * a)
			row := emb[lay.perm[slot]*dim:][:dim]
			for i := range row {
				row[i] = cgl*w.g[i] + cr*acc[i]
			}
		}
	}
}

// project removes from v its component along the unit vector u.
func project(v, u []float32) {
	var d float64
	for i, x := range v {
		d += float64(x) * float64(u[i])
	}
	c := float32(d)
	for i := range v {
		v[i] -= c * u[i]
	}
}

// normalize scales v to unit length.
func normalize(v []float32) {
	var nn float64
	for _, x := range v {
		nn += float64(x) * float64(x)
	}
	if !(nn > 0) {
		v[0], nn = 1, 1
	}
	s := float32(1 / math.Sqrt(nn))
	for i := range v {
		v[i] *= s
	}
}
