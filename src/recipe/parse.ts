/**
 * YAML text → plain value plus a locator that turns a field path into `line:col`, so every later problem can point
 * at the line the user has to edit. Syntax errors are reported all at once, each with its position.
 */
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { RecipeError } from '../util/errors.js';

export type FieldPath = readonly PropertyKey[];

export interface LinePos {
  readonly line: number;
  readonly col: number;
}

export interface RecipeSource {
  readonly file: string;
  /** The document as plain data (`{}` for an empty file). */
  readonly value: unknown;
  /** Position of the node at `path`, or of the key `key` in the mapping at `path`; the nearest ancestor if absent. */
  locate(path: FieldPath, key?: string): LinePos | undefined;
}

export function parseYaml(text: string, file: string): RecipeSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const at = (offset: number): LinePos => lineCounter.linePos(offset);
  if (doc.errors.length > 0) {
    throw new RecipeError(
      file,
      doc.errors.map((e) => `(${formatPos(at(e.pos[0]))}): YAML syntax error: ${e.message}`),
    );
  }
  return {
    file,
    value: toPlain(doc, file),
    locate: (path, key) => {
      const offset = key === undefined ? nodeOffset(doc, path) : keyOffset(doc, path, key);
      return offset === undefined ? undefined : at(offset);
    },
  };
}

/**
 * Aliases are expanded here, so a "billion laughs" document would explode: yaml stops once aliases resolve to more
 * than MAX_ALIAS_COUNT nodes and throws a ReferenceError (also for an alias used before its anchor).
 */
const MAX_ALIAS_COUNT = 100;

function toPlain(doc: Document, file: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? {};
  } catch (err) {
    throw new RecipeError(file, [`(root): YAML aliases: ${(err as Error).message}`]);
  }
}

/** Start offset of the deepest existing node along `path`. */
function nodeOffset(doc: Document, path: FieldPath): number | undefined {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true);
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    if (range) return range[0];
  }
  return undefined;
}

/** Start offset of the key `key` in the mapping at `path` (for unknown keys, the key is what is wrong). */
function keyOffset(doc: Document, path: FieldPath, key: string): number | undefined {
  const map = path.length === 0 ? doc.contents : doc.getIn(path, true);
  if (isMap(map)) {
    const pair = map.items.find((item) => isScalar(item.key) && String(item.key.value) === key);
    if (pair && isScalar(pair.key) && pair.key.range) return pair.key.range[0];
  }
  return nodeOffset(doc, path);
}

/** `experts.sizes[2]`; the empty path is the document itself. */
export function formatPath(path: FieldPath): string {
  if (path.length === 0) return '(root)';
  return path
    .map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`))
    .join('');
}

export function formatPos({ line, col }: LinePos): string {
  return `${line}:${col}`;
}
