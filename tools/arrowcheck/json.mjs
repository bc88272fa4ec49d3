// Shared by dump.mjs and dump-parquet.mjs: one value as the JSON the Go side
// decodes exactly. Numbers keep full float64 precision (and -0); NaN and the
// infinities, which JSON cannot spell, become the strings "NaN",
// "Infinity" and "-Infinity"; int64 values (bigint) keep all their digits.
// unsupported is called, and must throw, for any other kind of value.
export function jsonValue(v, unsupported) {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'bigint':
      return v.toString();
    case 'number':
      if (Number.isNaN(v)) return '"NaN"';
      if (v === Infinity) return '"Infinity"';
      if (v === -Infinity) return '"-Infinity"';
      if (Object.is(v, -0)) return '-0';
      return JSON.stringify(v);
    case 'string':
    case 'boolean':
      return JSON.stringify(v);
    default:
      return unsupported(v);
  }
}

// jsonList is a list value, any iterable of values that jsonValue takes, as
// a JSON array. A list inside the list is refused through unsupported.
export function jsonList(items, unsupported) {
  const out = [];
  for (const v of items) out.push(jsonValue(v, unsupported));
  return '[' + out.join(', ') + ']';
}
