/** Structure-aware JSON mutation: replace the value at one path of a real document with a hostile one. */
import fc from 'fast-check';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every path of `doc` (objects and arrays), root first. */
export function jsonPaths(doc: Json, prefix: (string | number)[] = []): (string | number)[][] {
  const out = [prefix];
  if (Array.isArray(doc)) doc.forEach((v, i) => out.push(...jsonPaths(v, [...prefix, i])));
  else if (doc !== null && typeof doc === 'object') {
    for (const [k, v] of Object.entries(doc)) out.push(...jsonPaths(v, [...prefix, k]));
  }
  return out;
}

/** A copy of `doc` with the value at `path` replaced; `__proto__` is written as an own key, as JSON.parse does. */
export function replaceAt(doc: Json, path: readonly (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  // An earlier edit may have replaced a parent with a scalar: the path then builds a fresh object.
  const node = (typeof doc === 'object' && doc !== null ? doc : {}) as Record<string | number, Json>;
  const copy = (Array.isArray(node) ? [...node] : { ...node }) as Record<string | number, unknown>;
  Object.defineProperty(copy, head!, {
    value: replaceAt(node[head!] ?? null, rest, value),
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return copy;
}

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(-1, 1.5, 2 ** 31, 2 ** 40, 1e12, -0, '', 'a\nb', '__proto__', [], {}, null, true),
  fc.integer({ min: 1, max: 3000 }).map((n) => {
    let v: unknown = 1;
    for (let i = 0; i < n; i++) v = [v];
    return v;
  }),
  fc.constant({ __proto__: null, constructor: 'x', toString: 1 }),
);

/** `edits` replacements at paths of `doc` (picked by index, so shrinking stays within the document). */
export function editedJson(doc: Json, maxEdits = 3): fc.Arbitrary<string> {
  const paths = jsonPaths(doc);
  return fc
    .array(fc.tuple(fc.nat(paths.length - 1), hostileValue), { minLength: 1, maxLength: maxEdits })
    .map((edits) =>
      JSON.stringify(edits.reduce<unknown>((d, [i, v]) => replaceAt(d as Json, paths[i]!, v), doc)),
    );
}
