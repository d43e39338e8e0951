/**
 * Schema issues → one readable line each: `dot.path (line:col): message`. Unknown keys get a "did you mean" from the
 * keys the schema allows at that place; enums list their allowed values.
 */
import { z } from 'zod';
import { escapeControls, printable } from '../util/untrusted-text.js';
import { formatPath, formatPos, type FieldPath, type LinePos, type RecipeSource } from './parse.js';
import { closest } from '../util/closest.js';

export interface Problem {
  readonly path: FieldPath;
  readonly message: string;
  /** Set for unknown keys: the position is the key's, not its value's. */
  readonly key?: string;
}

/**
 * Renders problems in file order against the YAML they came from; `origin` names the flag for fields a
 * command-line flag set (their line in the file no longer applies).
 */
export function renderProblems(
  source: Pick<RecipeSource, 'locate'>,
  problems: readonly Problem[],
  origin: (path: FieldPath) => string | undefined = () => undefined,
): string[] {
  const located = problems.map((p) => {
    const flag = origin(p.path);
    const pos = flag ? undefined : source.locate(p.key ? p.path.slice(0, -1) : p.path, p.key);
    const where = flag ?? (pos && formatPos(pos));
    // Keys and values come from the user's file: escaped so each problem stays one line.
    return { pos, text: escapeControls(`${formatPath(p.path)}${where ? ` (${where})` : ''}: ${p.message}`) };
  });
  const order = (pos: LinePos | undefined) => (pos ? pos.line * 1e6 + pos.col : Infinity);
  return located.sort((a, b) => order(a.pos) - order(b.pos)).map((l) => l.text);
}

export function schemaProblems(schema: z.ZodType, error: z.ZodError, input: unknown): Problem[] {
  return issueProblems(schema, error.issues, [], input);
}

function issueProblems(
  schema: z.ZodType,
  issues: readonly z.core.$ZodIssue[],
  prefix: FieldPath,
  input: unknown,
): Problem[] {
  return issues.flatMap((issue): Problem[] => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      const allowed = objectKeysAt(schema, path);
      return issue.keys.map((key) => ({ path: [...path, key], key, message: unknownKey(key, allowed) }));
    }
    const branch = issue.code === 'invalid_union' ? matchingBranch(issue.errors) : undefined;
    if (branch) return issueProblems(schema, branch, path, input);
    return [{ path, message: issueMessage(issue, valueAt(input, path)) }];
  });
}

/**
 * A union (a name or a mapping) failed: report the branch of the value's own shape, whose issues say what is wrong
 * inside it, rather than "invalid input". A branch whose only complaint is the value's type is another shape; of
 * the rest, one that looked inside the value (issues below its root) matched it best.
 */
function matchingBranch(
  branches: readonly (readonly z.core.$ZodIssue[])[],
): readonly z.core.$ZodIssue[] | undefined {
  const wrongType = (i: z.core.$ZodIssue) => i.code === 'invalid_type' && i.path.length === 0;
  const candidates = branches.filter((b) => !b.every(wrongType));
  const inside = candidates.filter((b) => b.some((i) => i.path.length > 0 || i.code === 'unrecognized_keys'));
  const pick = inside.length > 0 ? inside : candidates;
  return pick.length === 1 ? pick[0] : undefined;
}

function issueMessage(issue: z.core.$ZodIssue, value: unknown): string {
  const got = `got ${describe(value)}`;
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected}, ${got}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => describe(v)).join(' | ')}, ${got}`;
    case 'too_small':
      return issue.origin === 'array'
        ? `must have at least ${issue.minimum} item(s)`
        : `must be ${issue.inclusive ? '≥' : '>'} ${issue.minimum}, ${got}`;
    case 'too_big':
      return issue.origin === 'array'
        ? `must have at most ${issue.maximum} item(s)`
        : `must be ${issue.inclusive ? '≤' : '<'} ${issue.maximum}, ${got}`;
    default:
      return `${issue.message}, ${got}`;
  }
}

function unknownKey(key: string, allowed: readonly string[]): string {
  const best = closest(key, allowed);
  if (best !== undefined) return `unknown key '${printable(key)}'; did you mean '${best}'?`;
  return `unknown key '${printable(key)}'; expected one of ${allowed.map((k) => `'${k}'`).join(', ')}`;
}

/**
 * Keys of the object schema at `path`, looking through default/prefault/optional/nullable wrappers, array items
 * (an index in the path) and unions (their mapping branch).
 */
function objectKeysAt(schema: z.ZodType, path: FieldPath): string[] {
  let node: z.ZodType | undefined = schema;
  for (let depth = 0; node; depth++) {
    while ('innerType' in node._zod.def) node = node._zod.def.innerType as z.ZodType;
    if (node instanceof z.ZodUnion) node = node.options.find((o) => o instanceof z.ZodObject) as z.ZodType;
    if (node instanceof z.ZodArray) {
      node = node.element as z.ZodType;
      continue;
    }
    if (!(node instanceof z.ZodObject)) return [];
    if (depth === path.length) return Object.keys(node.shape);
    node = node.shape[String(path[depth])] as z.ZodType | undefined;
  }
  return [];
}

function valueAt(input: unknown, path: FieldPath): unknown {
  return path.reduce<unknown>(
    (v, key) => (v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[key] : undefined),
    input,
  );
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return `'${printable(value)}'`;
  if (Array.isArray(value)) return 'a list';
  if (value !== null && typeof value === 'object') return 'a mapping';
  return String(value);
}
