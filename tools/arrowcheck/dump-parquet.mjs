// dump-parquet.mjs reads Parquet files with hyparquet, a pure JavaScript Parquet
// implementation, and prints them as one JSON document, the files' rows in the
// order the files are given:
//
//   {"schema": [{"name", "depth", "type"?, "repetition", "converted"?, "logical"?, "children"?}],
//    "metadata": {key: value},
//    "created_by": "...",
//    "row_groups": [rows per row group, over all files in order],
//    "codecs": [compression codecs of the column chunks, sorted, no repeats],
//    "rows": [{column: value}, ...]}
//
// "schema" lists the elements of the Parquet schema below the root, depth
// first, as the footer does: the name, the depth (0 for a column), the physical
// type of a leaf ("BYTE_ARRAY", "DOUBLE", "INT64", ...), the repetition
// ("OPTIONAL", "REQUIRED", "REPEATED"), the converted type ("UTF8", "LIST") and
// the logical type ("STRING", "LIST") when the file sets them, and the number
// of children of a group. A flat column is one element; a list column is the
// three elements of the spec's LIST layout, "name" (the LIST group), "list"
// (repeated) and "element" (the leaf). Other nesting is refused. "metadata" is
// the file's key-value metadata.
//
// It exists so that hardneg's Go tests can check the Go writer's Parquet output
// with an implementation other than the writer's own (see internal/arrowcheck).
//
// Values: strings as JSON strings; floating point numbers as JSON numbers with
// the shortest digits that round-trip to the same float64 (JSON.stringify), and
// -0 as -0; NaN, Infinity and -Infinity as the JSON strings "NaN", "Infinity"
// and "-Infinity"; 64-bit integers (read as BigInt) as JSON numbers with all
// their decimal digits, so a reader must not decode them into float64; nulls as
// null; lists as JSON arrays of such values.
//
// It is stricter than hyparquet's defaults, the way `datasets` is: only columns
// annotated as UTF8/STRING decode as strings (a bare BYTE_ARRAY is binary to
// pyarrow and fails here), string values must be valid UTF-8 (hyparquet would
// replace bad bytes and drop a leading byte order mark), every file must have
// the same schema and key-value metadata, and every file's row count must match
// its row groups and the rows read.
//
// Exit status: 0 on success, 1 when a file cannot be read, 2 on bad usage.

import { readFileSync } from 'node:fs';
import { jsonList, jsonValue as sharedJSONValue } from './json.mjs';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';

function fail(msg) {
  throw new Error(`arrowcheck: ${msg}`);
}

// Strict UTF-8, keeping a leading U+FEFF as a character.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const parsers = {
  stringFromBytes(bytes) {
    return bytes && utf8.decode(bytes);
  },
};

function unsupported(v) {
  fail(`unsupported value ${Object.prototype.toString.call(v)} (a BYTE_ARRAY without the UTF8/STRING annotation, or a nested column)`);
}

function jsonValue(v) {
  return sharedJSONValue(v, unsupported);
}

// jsonListValue is a value of a list column: an array of its items, or null.
function jsonListValue(v) {
  if (v === null || v === undefined) return 'null';
  if (!Array.isArray(v)) unsupported(v);
  return jsonList(v, unsupported);
}

function describeElement(e, depth) {
  const d = { name: e.name, depth };
  if (e.type !== undefined) d.type = e.type;
  d.repetition = e.repetition_type;
  if (e.converted_type !== undefined) d.converted = e.converted_type;
  if (e.logical_type !== undefined) d.logical = e.logical_type.type;
  if (e.num_children) d.children = e.num_children;
  return d;
}

// describeSchema returns the schema elements below the root and, per column,
// whether it is a list. It accepts flat columns and the spec's three-level
// LIST of a primitive element, and refuses any other nesting.
function describeSchema(path, schema) {
  const [root, ...rest] = schema;
  if (!root) fail(`read ${path}: empty schema`);
  const elements = [];
  const columns = [];
  let i = 0;
  for (let c = 0; c < root.num_children; c++) {
    const e = rest[i++];
    if (!e) fail(`read ${path}: schema ends early`);
    elements.push(describeElement(e, 0));
    if (!e.num_children) {
      columns.push({ name: e.name, list: false });
      continue;
    }
    const list = rest[i++];
    const leaf = rest[i++];
    const isList = e.num_children === 1 && (e.converted_type === 'LIST' || e.logical_type?.type === 'LIST') &&
      e.repetition_type !== 'REPEATED' &&
      list && list.repetition_type === 'REPEATED' && list.num_children === 1 &&
      leaf && !leaf.num_children && leaf.repetition_type !== 'REPEATED';
    if (!isList) {
      fail(`read ${path}: column ${JSON.stringify(e.name)} is nested other than as a LIST of primitive values; that is not supported`);
    }
    elements.push(describeElement(list, 1), describeElement(leaf, 2));
    columns.push({ name: e.name, list: true });
  }
  if (i !== rest.length) fail(`read ${path}: schema has ${rest.length - i} elements more than its root's children`);
  return { elements, columns };
}

function describeMetadata(path, kv) {
  const metadata = {};
  for (const { key, value } of kv ?? []) {
    if (Object.hasOwn(metadata, key)) fail(`read ${path}: key-value metadata repeats the key ${JSON.stringify(key)}`);
    metadata[key] = value ?? null;
  }
  return metadata;
}

async function readFile(path) {
  let bytes;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    fail(`read ${path}: ${err.message}`);
  }
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  let metadata;
  try {
    metadata = parquetMetadata(file);
  } catch (err) {
    fail(`read ${path}: ${err.message}`);
  }
  let rows;
  try {
    rows = await parquetReadObjects({ file, metadata, parsers, utf8: false });
  } catch (err) {
    fail(`read ${path}: ${err.message}`);
  }
  const rowGroups = metadata.row_groups.map((rg) => Number(rg.num_rows));
  const total = rowGroups.reduce((a, b) => a + b, 0);
  if (Number(metadata.num_rows) !== total || rows.length !== total) {
    fail(`read ${path}: footer says ${metadata.num_rows} rows, row groups hold ${total}, read ${rows.length}`);
  }
  const codecs = new Set();
  for (const rg of metadata.row_groups) {
    for (const c of rg.columns) codecs.add(c.meta_data?.codec);
  }
  const { elements, columns } = describeSchema(path, metadata.schema);
  return {
    schema: elements,
    columns,
    metadata: describeMetadata(path, metadata.key_value_metadata),
    createdBy: metadata.created_by ?? null,
    rowGroups,
    codecs,
    rows,
  };
}

async function main(argv) {
  if (argv.length === 0) {
    process.stderr.write('usage: node dump-parquet.mjs FILE...\n');
    return 2;
  }
  let first = null;
  let firstJSON = '';
  const rowGroups = [];
  const codecs = new Set();
  const rows = [];
  for (const path of argv) {
    const f = await readFile(path);
    const fJSON = JSON.stringify([f.schema, f.metadata, f.createdBy]);
    if (first === null) {
      const seen = new Set();
      for (const c of f.columns) {
        if (seen.has(c.name)) fail(`read ${path}: duplicate column name ${JSON.stringify(c.name)}`);
        seen.add(c.name);
      }
      first = f;
      firstJSON = fJSON;
    } else if (fJSON !== firstJSON) {
      fail(`read ${path}: schema, metadata or created_by differ from the first file's: ${fJSON} != ${firstJSON}`);
    }
    rowGroups.push(...f.rowGroups);
    for (const c of f.codecs) codecs.add(c);
    const keys = f.columns.map((c) => [c.name, JSON.stringify(c.name), c.list ? jsonListValue : jsonValue]);
    for (const row of f.rows) {
      rows.push('{' + keys.map(([name, key, encode]) => key + ': ' + encode(row[name])).join(', ') + '}');
    }
  }

  process.stdout.write('{"schema": ' + JSON.stringify(first.schema) +
    ',\n"metadata": ' + JSON.stringify(first.metadata) +
    ',\n"created_by": ' + JSON.stringify(first.createdBy) +
    ',\n"row_groups": ' + JSON.stringify(rowGroups) +
    ',\n"codecs": ' + JSON.stringify([...codecs].sort()) +
    ',\n"rows": [' + rows.join(',\n') + ']}\n');
  return 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`${err.message}\n`);
  process.exitCode = 1;
}
