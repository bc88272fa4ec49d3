package source

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const (
	testCorpus = `{"_id": "d1", "title": "Seoul", "text": "capital of Korea", "metadata": {"x": 1}}
{"_id": "d2", "title": "", "text": "no title"}

{"_id": "0012", "text": "no title key"}
{"_id": "12", "title": "T", "text": "line\nbreak \"quoted\""}
`
	testQueries = `{"_id": "q1", "text": "what is the capital"}
{"_id": "q2", "text": "second", "extra": [1, 2]}
{"_id": "q3", "text": "never judged"}
`
	testQrels = "query-id\tcorpus-id\tscore\n" +
		"q2\t12\t1\n" +
		"q1\td1\t2\n" +
		"q1\td2\t0\n" +
		"q1\tnope\t1\n" +
		"q9\td1\t1\n" +
		"q2\t0012\t1\n" +
		"q2\t12\t1\n" +
		"\n" +
		"q1\t0012\t-1\r\n"
)

func beirDir(t *testing.T, corpus, queries, qrels string) BEIRPaths {
	t.Helper()
	return BEIRPaths{
		Corpus:  writeTemp(t, "corpus.jsonl", corpus),
		Queries: writeTemp(t, "queries.jsonl", queries),
		Qrels:   writeTemp(t, "qrels.tsv", qrels),
	}
}

func TestReadBEIR(t *testing.T) {
	p, stats, err := ReadBEIR(beirDir(t, testCorpus, testQueries, testQrels))
	if err != nil {
		t.Fatal(err)
	}
	if p.Same() {
		t.Fatal("queries and corpus are separate sides")
	}
	if p.Corpus.Resident() || p.Corpus.Len() != 4 {
		t.Fatalf("the corpus is resident or has %d documents", p.Corpus.Len())
	}
	if err := p.Corpus.Resolve([]int32{3, 0, 1, 2}); err != nil {
		t.Fatal(err)
	}
	wantIDs := []string{"d1", "d2", "0012", "12"}
	wantTexts := []string{"Seoul capital of Korea", "no title", "no title key", "T line\nbreak \"quoted\""}
	for i := range wantIDs {
		if id, text := p.Corpus.ID(int32(i)), p.Corpus.Text(int32(i)); id != wantIDs[i] || text != wantTexts[i] || p.Corpus.Hashes()[i] != IDHash(id) {
			t.Fatalf("corpus row %d: %q %q, want %q %q", i, id, text, wantIDs[i], wantTexts[i])
		}
	}
	if p.Queries.Len() != 3 || p.Queries.Text(1) != "second" {
		t.Fatalf("queries %q", p.Queries.Texts())
	}
	want := []Anchor{{Query: 1, Positives: []int32{3, 2}}, {Query: 0, Positives: []int32{0}}}
	if len(p.Anchors) != len(want) {
		t.Fatalf("anchors %v, want %v", p.Anchors, want)
	}
	for i := range want {
		if p.Anchors[i].Query != want[i].Query || !slices.Equal(p.Anchors[i].Positives, want[i].Positives) {
			t.Fatalf("anchor %d = %v, want %v", i, p.Anchors[i], want[i])
		}
	}
	wantStats := QrelStats{Lines: 10, Blank: 1, Judgements: 8, Used: 4, NotPositive: 2, UnknownQuery: 1, UnknownDocument: 1, Duplicate: 1}
	if stats != wantStats {
		t.Fatalf("stats %+v, want %+v", stats, wantStats)
	}
	if p.Nodes() != 7 || p.CorpusNode(0) != 3 || p.QueryNode(2) != 2 {
		t.Fatalf("graph numbering: %d nodes, corpus 0 at %d", p.Nodes(), p.CorpusNode(0))
	}
}

func TestReadBEIRRefusesBadInput(t *testing.T) {
	good := struct{ corpus, queries, qrels string }{testCorpus, testQueries, testQrels}
	for _, tc := range []struct {
		name                   string
		corpus, queries, qrels string
		file                   string // which file the error must name
		wantErr                error
		msg                    string
	}{
		{name: "duplicate id", corpus: testCorpus + `{"_id": "d2", "text": "again"}`, file: "corpus", wantErr: ErrCorpus, msg: `line 6 repeats the _id "d2" of line 2`},
		{name: "duplicate unjudged id", corpus: testCorpus + `{"_id": "0012", "text": "again"}`, file: "corpus", wantErr: ErrCorpus, msg: `line 6 repeats the _id "0012" of line 4`},
		{name: "duplicate query", queries: testQueries + `{"_id": "q1", "text": "again"}`, file: "queries", wantErr: ErrQueries, msg: `line 4 repeats the _id "q1" of line 1`},
		{name: "numeric id", corpus: `{"_id": 7, "text": "x"}`, file: "corpus", wantErr: ErrCorpus, msg: `line 1: field "_id": want a string, found number`},
		{name: "missing text", queries: `{"_id": "q1"}`, file: "queries", wantErr: ErrQueries, msg: `line 1: missing "text"`},
		{name: "missing id", queries: `{"text": "q"}`, file: "queries", wantErr: ErrQueries, msg: `line 1: missing "_id"`},
		{name: "malformed", corpus: `{"_id": "d1", "text": "a"}` + "\n" + `{"_id": "d2", "text"`, file: "corpus", wantErr: ErrCorpus, msg: "line 2: malformed JSON"},
		{name: "array line", corpus: `["d1", "a"]`, file: "corpus", wantErr: ErrCorpus, msg: "line 1: want a JSON object, found an array"},
		{name: "empty corpus", corpus: "\n\n", file: "corpus", wantErr: ErrCorpus, msg: "no documents (2 lines)"},
		{name: "no header", qrels: "q1\td1\t1\n", file: "qrels", wantErr: ErrQrels, msg: "line 1: want the header"},
		{name: "two fields", qrels: "query-id\tcorpus-id\tscore\nq1\td1\n", file: "qrels", wantErr: ErrQrels, msg: "line 2: want 3 tab-separated fields"},
		{name: "bad score", qrels: "query-id\tcorpus-id\tscore\nq1\td1\thigh\n", file: "qrels", wantErr: ErrQrels, msg: `line 2: score "high" is not a number`},
		{name: "empty qrels", qrels: "", file: "qrels", wantErr: ErrQrels, msg: "the file is empty"},
		{name: "nothing usable", qrels: "query-id\tcorpus-id\tscore\nq1\td1\t0\nq7\td1\t1\n", file: "qrels", wantErr: ErrNoQrels, msg: "none of the 2 judgements"},
		{name: "invalid utf8", qrels: "query-id\tcorpus-id\tscore\nq1\xff\td1\t1\n", file: "qrels", wantErr: ErrQrels, msg: "line 2: invalid UTF-8 at column 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, q, r := good.corpus, good.queries, good.qrels
			if tc.corpus != "" {
				c = tc.corpus
			}
			if tc.queries != "" {
				q = tc.queries
			}
			if tc.name == "empty qrels" || tc.qrels != "" {
				r = tc.qrels
			}
			paths := beirDir(t, c, q, r)
			_, _, err := ReadBEIR(paths)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error %v, want %v", err, tc.wantErr)
			}
			file := map[string]string{"corpus": paths.Corpus, "queries": paths.Queries, "qrels": paths.Qrels}[tc.file]
			if !strings.Contains(err.Error(), tc.msg) || !strings.Contains(err.Error(), file) {
				t.Fatalf("error %q does not name %s and %q", err, filepath.Base(file), tc.msg)
			}
		})
	}
}

// TestStreamedCorpusNoticesChanges rewrites the corpus between the first
// read and the resolution of rows: the side refuses to give texts that may
// belong to other documents.
func TestStreamedCorpusNoticesChanges(t *testing.T) {
	paths := beirDir(t, testCorpus, testQueries, testQrels)
	p, _, err := ReadBEIR(paths)
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(testCorpus, `"d1"`, `"x1"`, 1)
	if err := os.WriteFile(paths.Corpus, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := p.Corpus.Resolve([]int32{0}); !errors.Is(err, ErrCorpus) || !strings.Contains(err.Error(), "changed since it was first read") {
		t.Fatalf("error %v, want one saying the corpus changed", err)
	}
}
