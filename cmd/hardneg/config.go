package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"

	"github.com/hardneg/hardneg/source"
)

// Flags that steer the command itself rather than the run; a config file
// cannot set them and --print-config leaves them out.
var notInConfig = map[string]bool{
	"config": true, "print-config": true, "quiet": true, "help": true, "shard": true, "corpus-shard": true, "grid": true, "progress": true, "json": true,
}

// notPrinted are flags a config file may hold but --print-config leaves out:
// an alias and retired flags, so that the file names each setting once.
var notPrinted = map[string]bool{"num-negatives": true, "max-neg-ratio": true, "max-neg-margin": true}

// inputDefaults are the settings whose default comes from an input folder
// (--data-dir or --beir-dir): each file flag's name in the folder, and the
// output folder, which is the data folder itself.
var inputDefaults = map[string]struct{ folder, name string }{
	"pairs":             {"data-dir", source.PairsFile},
	"embeddings":        {"data-dir", source.EmbeddingsFile},
	"terms":             {"data-dir", source.TermsFile},
	"out":               {"data-dir", ""},
	"corpus":            {"beir-dir", beirCorpus},
	"queries":           {"beir-dir", beirQueries},
	"qrels":             {"beir-dir", beirQrels},
	"corpus-embeddings": {"beir-dir", beirCorpusEmbeddings},
	"query-embeddings":  {"beir-dir", beirQueryEmbeddings},
}

var inputFolders = []string{"data-dir", "beir-dir"}

// applyConfig sets every flag named in the YAML file at path that was not
// given on the command line: flags override the file. Keys are flag names.
//
// An input folder given on the command line replaces the file's inputs as
// a whole: the file's folders are ignored, and so are its file paths that
// its own folder implies (an older --print-config wrote them out); a file
// path of its own is a conflict, refused with both named, rather than
// silently mining an older data set.
func applyConfig(fs *pflag.FlagSet, path string) error {
	data, err := readConfig(path)
	if err != nil {
		return &usageError{err}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return &usageError{fmt.Errorf("config %s: %w", path, err)}
	}
	if len(doc.Content) == 0 {
		return nil // an empty file sets nothing
	}
	m := doc.Content[0]
	if m.Kind != yaml.MappingNode {
		return &usageError{fmt.Errorf("config %s: line %d: want a mapping of flag names to values", path, m.Line)}
	}
	cliFolder, fileFolders := "", map[string]string{}
	for _, name := range inputFolders {
		if fs.Changed(name) {
			cliFolder = name
		}
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k, v := m.Content[i], m.Content[i+1]; slices.Contains(inputFolders, k.Value) && v.Kind == yaml.ScalarNode {
			fileFolders[k.Value] = v.Value
		}
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		fl := fs.Lookup(k.Value)
		def, isInput := inputDefaults[k.Value]
		switch {
		case fl == nil || notInConfig[k.Value]:
			return &usageError{fmt.Errorf("config %s: line %d: %q is not a setting of this command", path, k.Line, k.Value)}
		case fl.Changed:
			continue
		case cliFolder != "" && slices.Contains(inputFolders, k.Value):
			continue // the command line's folder replaces the file's
		case cliFolder != "" && isInput && v.Kind == yaml.ScalarNode && v.Value != "":
			folder := fileFolders[def.folder]
			if folder != "" && samePath(v.Value, filepath.Join(folder, def.name)) {
				continue // implied by the file's folder, which is replaced
			}
			if k.Value == "out" {
				break // an output folder of its own stays
			}
			return &usageError{fmt.Errorf("config %s: line %d: %s %s does not come from the --%s %s given on the command line; give --%s on the command line too, or take it out of %s",
				path, v.Line, k.Value, v.Value, cliFolder, fs.Lookup(cliFolder).Value.String(), k.Value, path)}
		case v.Kind == yaml.SequenceNode && fl.Value.Type() == "stringArray":
			// a repeatable flag: one item per occurrence
			for _, item := range v.Content {
				if item.Kind != yaml.ScalarNode {
					return &usageError{fmt.Errorf("config %s: line %d: %s: want a list of single values", path, item.Line, k.Value)}
				}
				if err := fs.Set(k.Value, item.Value); err != nil {
					return &usageError{fmt.Errorf("config %s: line %d: %s: %w", path, item.Line, k.Value, err)}
				}
			}
			continue
		case v.Kind != yaml.ScalarNode:
			return &usageError{fmt.Errorf("config %s: line %d: %s: want a single value", path, v.Line, k.Value)}
		}
		if err := fs.Set(k.Value, v.Value); err != nil {
			return &usageError{fmt.Errorf("config %s: line %d: %s: %w", path, v.Line, k.Value, err)}
		}
	}
	return nil
}

// maxConfigBytes caps a config file: a few lines of YAML, never an
// endless stream.
const maxConfigBytes = 1 << 20

// readConfig reads a config file of at most maxConfigBytes, with no NUL
// byte.
func readConfig(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read config %s: %w", path, err)
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return nil, fmt.Errorf("config %s: byte %d: a NUL byte; a config file is YAML text", path, i)
	}
	if len(data) > maxConfigBytes {
		return nil, fmt.Errorf("config %s: more than %d MiB; a config file is a few lines of YAML", path, maxConfigBytes>>20)
	}
	return data, nil
}

// samePath reports whether two paths name the same place, once made
// absolute and clean.
func samePath(a, b string) bool {
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == bb
}

// printConfig writes every setting flag with its effective value, in the
// order --help lists them, as YAML that applyConfig reads back.
func printConfig(w io.Writer, fs *pflag.FlagSet) error {
	var m yaml.Node
	m.Kind = yaml.MappingNode
	// Either the three named bands' flags or --band, never both.
	skip := map[string]bool{}
	if bands, _ := fs.GetStringArray("band"); len(bands) > 0 {
		for _, name := range bandNames {
			skip[name+"-range"], skip[name+"-ratio"] = true, true
		}
	} else {
		skip["band"] = true
	}
	fs.VisitAll(func(fl *pflag.Flag) {
		if notInConfig[fl.Name] || notPrinted[fl.Name] || skip[fl.Name] {
			return
		}
		if _, unset := fl.Value.(optFloat); unset && fl.Value.String() == "" {
			return // an optional limit that is off
		}
		v := &yaml.Node{Kind: yaml.ScalarNode, Value: fl.Value.String()}
		switch fl.Value.Type() {
		case "string", "LO,HI":
			v.Style = yaml.DoubleQuotedStyle
		case "stringArray":
			items, _ := fs.GetStringArray(fl.Name)
			v = &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
			for _, it := range items {
				v.Content = append(v.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: it, Style: yaml.DoubleQuotedStyle})
			}
		}
		m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: fl.Name}, v)
	})
	var buf bytes.Buffer
	buf.WriteString("# hardneg mine settings: each key is a flag of 'hardneg mine'.\n")
	buf.WriteString("# Use with: hardneg mine --config FILE (flags given as well override the file).\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&m); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}
