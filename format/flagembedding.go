package format

import "github.com/hardneg/hardneg/hfds"

// The flagembedding format is FlagEmbedding's fine-tuning data: one row per
// anchor, {"query", "pos": [positives], "neg": [negatives]}, positives and
// distinct negatives in first-seen order. With scores, "pos_scores" and
// "neg_scores", parallel to "pos" and "neg", as its distillation reads
// them; with ids, query_id and the lists positive_id and negative_id.
var flagEmbeddingSpec = Spec{
	Name: FlagEmbedding, Unit: "queries", Grouped: true,
	Dataset: "flagembedding_dataset", TrainJSONL: "train_flagembedding.jsonl", ValJSONL: "val_flagembedding.jsonl",
	table: flagEmbeddingTable,
}

func flagEmbeddingTable(v View, o Options) (hfds.Table, int) {
	var query, qid []string
	pos, neg := newList("pos", hfds.ListString), newList("neg", hfds.ListString)
	ps, ns := newList("pos_scores", hfds.ListFloat64), newList("neg_scores", hfds.ListFloat64)
	pid, nid := newList("positive_id", hfds.ListString), newList("negative_id", hfds.ListString)
	for _, g := range groupByAnchor(v) {
		query = append(query, v.Queries.Text(g.Anchor))
		for _, p := range g.Positives {
			pos.Strings = append(pos.Strings, v.Corpus.Text(p))
			if o.WithScores {
				ps.Float64s = append(ps.Float64s, score(v.PositiveSim(g.Anchor, p)))
			}
			if o.WithIDs {
				pid.Strings = append(pid.Strings, v.Corpus.ID(p))
			}
		}
		for _, i := range g.Negatives {
			r := v.Rows[i]
			neg.Strings = append(neg.Strings, v.Corpus.Text(r.Negative))
			if o.WithScores {
				ns.Float64s = append(ns.Float64s, score(r.Sim))
			}
			if o.WithIDs {
				nid.Strings = append(nid.Strings, v.Corpus.ID(r.Negative))
			}
		}
		endRow(pos)
		endRow(neg)
		if o.WithScores {
			endRow(ps)
			endRow(ns)
		}
		if o.WithIDs {
			qid = append(qid, v.Queries.ID(g.Anchor))
			endRow(pid)
			endRow(nid)
		}
	}
	t := hfds.Table{Columns: []hfds.Column{stringCol("query", nonNil(query)), *pos, *neg}}
	if o.WithScores {
		t.Columns = append(t.Columns, *ps, *ns)
	}
	if o.WithIDs {
		t.Columns = append(t.Columns, stringCol("query_id", nonNil(qid)), *pid, *nid)
	}
	return t, 0
}
