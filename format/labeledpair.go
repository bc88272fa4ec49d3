package format

import "github.com/hardneg/hardneg/hfds"

// The labeled-pair format is sentence-transformers': per anchor, one row
// (anchor, text, label) for each positive with label 1, then one for each
// of its negatives with label 0, for binary cross-entropy losses. With
// scores, "score" (the text's similarity to the anchor) replaces "label",
// as sentence-transformers does; with ids, query_id and text_id.
var labeledPairSpec = Spec{
	Name: LabeledPair, Unit: "labeled pairs", Grouped: true,
	Dataset: "labeled_pair_dataset", TrainJSONL: "train_labeled_pairs.jsonl", ValJSONL: "val_labeled_pairs.jsonl",
	table: labeledPairTable,
}

func labeledPairTable(v View, o Options) (hfds.Table, int) {
	var anchor, text, qid, tid []string
	var label []int64
	var scores []float64
	add := func(a, c int32, l int64, s float32) {
		anchor = append(anchor, v.Queries.Text(a))
		text = append(text, v.Corpus.Text(c))
		if o.WithScores {
			scores = append(scores, score(s))
		} else {
			label = append(label, l)
		}
		if o.WithIDs {
			qid, tid = append(qid, v.Queries.ID(a)), append(tid, v.Corpus.ID(c))
		}
	}
	for _, g := range groupByAnchor(v) {
		for _, p := range g.Positives {
			var s float32
			if o.WithScores {
				s = v.PositiveSim(g.Anchor, p)
			}
			add(g.Anchor, p, 1, s)
		}
		for _, i := range g.Negatives {
			add(g.Anchor, v.Rows[i].Negative, 0, v.Rows[i].Sim)
		}
	}
	if anchor == nil {
		anchor, text = []string{}, []string{}
	}
	t := hfds.Table{Columns: []hfds.Column{stringCol("anchor", anchor), stringCol("text", text)}}
	if o.WithScores {
		t.Columns = append(t.Columns, floatCol("score", nonNil(scores)))
	} else {
		t.Columns = append(t.Columns, intCol("label", nonNil(label)))
	}
	if o.WithIDs {
		t.Columns = append(t.Columns, stringCol("query_id", nonNil(qid)), stringCol("text_id", nonNil(tid)))
	}
	return t, 0
}

// nonNil returns an empty slice for nil, so that an empty split still has
// typed columns.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
