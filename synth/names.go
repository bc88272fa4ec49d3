package synth

import (
	"math/rand/v2"
	"strings"
)

// Syllables and characters the names are built from. Drawing from a pool of
// common syllables, rather than the whole Hangul block, makes the terms look
// like words; the pool is large enough that 150,000 terms stay unique.
var (
	hangulPool = []rune(uniqueRunes("" +
		"이사기대지가리정자수시인전고도장원주서부상성문제일관국학신화동한경보구소생방연공진위해선물회금명실영계" +
		"개중산양의무조비유안식발통교미분용재행업단민차체결감강건검견곡과광군권근김남내노농당덕독두등라래력로류" +
		"마만말매면모목박반배백법변병본봉북빈새색석설세송순술승심아악암야약언여역열예오왕외요우운울월율은음읍익" +
		"임입작잔적절점접종좌즉증직질집참창책천철청초촌총최추축출충측치친칠침쾌타탄탈탑태택토투특파판팔패편평폐포" +
		"표품풍피필하할함합항핵향허헌혁현혈협형혜호혹혼홍확환활황효후훈휘휴흥희니콜레버쿠젠데뷔무대기부예비드민턴"))
	hanjaPool = []rune(uniqueRunes("" +
		"李金朴崔鄭姜趙尹張林韓吳申徐權黃安宋柳洪全高文孫梁白許南沈盧河郭成車朱禹具閔羅陳池嚴蔡元千方孔玄咸卞廉" +
		"山水國學人大中小天地日月王道德化社會經濟政治法律歷史時代生活心身家族門戶東西北春夏秋冬風雨雪花草木石銀銅" +
		"鐵光明正義滉穡塏芑諡號"))
)

const (
	latinConsonants = "bcdfghjklmnprstvwz"
	latinVowels     = "aeiou"
)

func uniqueRunes(s string) string {
	seen := make(map[rune]bool)
	var b strings.Builder
	for _, r := range s {
		if !seen[r] {
			seen[r] = true
			b.WriteRune(r)
		}
	}
	return b.String()
}

type script uint8

const (
	scriptHangul script = iota
	scriptHanja
	scriptLatin
	scriptMulti
)

// pickScript draws the script of a term: mostly Hangul, with some Hanja,
// Latin and multi-word terms, as in the real term list.
func pickScript(r *rand.Rand) script {
	switch x := r.IntN(100); {
	case x < 84:
		return scriptHangul
	case x < 89:
		return scriptHanja
	case x < 95:
		return scriptLatin
	default:
		return scriptMulti
	}
}

// namer hands out unique names. It is used from one goroutine, in a fixed
// order, so the names depend only on the seed.
type namer struct {
	r    *rand.Rand
	used map[string]struct{}
	buf  []rune
}

func newNamer(r *rand.Rand, capacity int) *namer {
	return &namer{r: r, used: make(map[string]struct{}, capacity)}
}

func (n *namer) has(s string) bool {
	_, ok := n.used[s]
	return ok
}

// claim records s as used if it is free and reports whether it was.
func (n *namer) claim(s string) bool {
	if s == "" || n.has(s) {
		return false
	}
	n.used[s] = struct{}{}
	return true
}

func (n *namer) hangulLen() int {
	switch x := n.r.IntN(100); {
	case x < 35:
		return 2
	case x < 72:
		return 3
	case x < 92:
		return 4
	default:
		return 5
	}
}

func (n *namer) hangulSyllable() rune {
	// Square the uniform draw so the first syllables of the pool, the most
	// common ones, come up more often.
	f := n.r.Float64()
	return hangulPool[int(f*f*float64(len(hangulPool)))]
}

func (n *namer) hangulWord(syllables int) string {
	n.buf = n.buf[:0]
	for range syllables {
		n.buf = append(n.buf, n.hangulSyllable())
	}
	return string(n.buf)
}

func (n *namer) hanjaWord(first rune) string {
	n.buf = n.buf[:0]
	if first == 0 {
		first = hanjaPool[n.r.IntN(len(hanjaPool))]
	}
	n.buf = append(n.buf, first)
	for i := 1 + n.r.IntN(2); i > 0; i-- {
		if n.r.IntN(2) == 0 {
			n.buf = append(n.buf, hanjaPool[n.r.IntN(len(hanjaPool))])
		} else {
			n.buf = append(n.buf, rune(0x4E00+n.r.IntN(0x9FFF-0x4E00+1)))
		}
	}
	return string(n.buf)
}

func (n *namer) latinWord() string {
	var b strings.Builder
	for i := 1 + n.r.IntN(3); i > 0; i-- {
		b.WriteByte(latinConsonants[n.r.IntN(len(latinConsonants))])
		b.WriteByte(latinVowels[n.r.IntN(len(latinVowels))])
		if n.r.IntN(3) == 0 {
			b.WriteByte(latinConsonants[n.r.IntN(len(latinConsonants))])
		}
	}
	return b.String()
}

func (n *namer) multiWord() string {
	w := n.hangulWord(1+n.r.IntN(3)) + " " + n.hangulWord(2+n.r.IntN(3))
	if n.r.IntN(8) == 0 {
		w += " " + n.hangulWord(2+n.r.IntN(2))
	}
	return w
}

// fresh returns a new unique name in script s. Collisions only get likely
// for the shortest names, so after a few tries it lengthens the word.
func (n *namer) fresh(s script) string {
	for try := 0; ; try++ {
		var w string
		switch s {
		case scriptHangul:
			l := n.hangulLen()
			if try >= 8 {
				l = 4 + try/8
			}
			w = n.hangulWord(l)
		case scriptHanja:
			w = n.hanjaWord(0)
			if try >= 8 {
				w += n.hanjaWord(0)
			}
		case scriptLatin:
			w = n.latinWord()
			if try >= 8 {
				w += n.latinWord()
			}
		default:
			w = n.multiWord()
		}
		if n.claim(w) {
			return w
		}
	}
}

// variant returns a new unique name that looks related to hub, the way
// synonyms in the real data often are (사천 / 사천면, 공사금채무 / 공사금채권,
// 李滉 / 李穡, 바이어 레버쿠젠 / 레버쿠젠); failing that, a fresh name.
func (n *namer) variant(hub string, s script) string {
	rs := []rune(hub)
	for range 6 {
		var w string
		switch s {
		case scriptHangul:
			switch x := n.r.IntN(100); {
			case x < 30 && len(rs) < 6:
				w = hub + string(n.hangulSyllable())
			case x < 55:
				w = string(rs[:len(rs)-1]) + string(n.hangulSyllable())
			case x < 65:
				w = string(n.hangulSyllable()) + string(rs[1:])
			case x < 75 && len(rs) >= 3:
				w = string(rs[:len(rs)-1])
			case x < 85:
				w = n.hangulWord(1+n.r.IntN(2)) + " " + hub
			default:
				return n.fresh(scriptHangul)
			}
		case scriptHanja:
			w = n.hanjaWord(rs[0])
		case scriptLatin:
			suffixes := [...]string{"s", "er", "ia", "o", "an", "ing"}
			w = hub + suffixes[n.r.IntN(len(suffixes))]
		default:
			words := strings.Fields(hub)
			if x := n.r.IntN(3); x < 2 && len(words) > 1 {
				w = words[len(words)-1-x%len(words)]
			} else {
				w = words[len(words)-1] + string(n.hangulSyllable())
			}
		}
		if n.claim(w) {
			return w
		}
	}
	return n.fresh(s)
}
