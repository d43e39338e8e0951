/**
 * How encoded requests are run. The harness feeds each request whole: input = (context + continuation)[-(L+1):][:-1]
 * with L the model's maximum length, and scores the continuation from the last positions' logits. Requests of a
 * document that share their context tokens (every choice of a HellaSwag/ARC/PIQA question) share a prefix: the
 * context minus its last token is run once into the KV cache (a group's `shared` tokens), and each choice then
 * feeds only [last context token, continuation[:-1]] on top of it. A causal model's states over the shared tokens do
 * not depend on what follows, and MoE routing is per token, so this is the same computation. A request alone in its
 * group (WinoGrande's per-option contexts, LAMBADA), or one too long to share, runs whole with no prefix.
 */
import type { EncodedRequest } from './encode.js';

export interface ScoreUnit {
  /** Index of the request in the task's flat request list. */
  readonly request: number;
  /** Tokens fed after the group's shared prefix. */
  readonly tail: readonly number[];
  /** The continuation's tokens, predicted by the last `targets.length` positions of the tail. */
  readonly targets: readonly number[];
}

export interface ScoreGroup {
  /** Tokens run once into the KV cache for every unit of the group; empty = no prefix. */
  readonly shared: readonly number[];
  readonly units: readonly ScoreUnit[];
}

function same(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The harness's whole-request input, left-truncated to `maxLength` tokens. */
function wholeUnit(request: number, r: EncodedRequest, maxLength: number): ScoreUnit {
  const all = [...r.context, ...r.continuation];
  const tail = all.slice(-(maxLength + 1)).slice(0, -1);
  return { request, tail, targets: r.continuation.slice(-tail.length) };
}

/**
 * Groups one document's requests (numbered from `first` in the task's flat list): requests with identical context
 * tokens share a prefix when there are two or more of them and the longest fits the model's length.
 */
export function groupDocument(
  requests: readonly EncodedRequest[],
  first: number,
  maxLength: number,
): ScoreGroup[] {
  const groups: ScoreGroup[] = [];
  const pending = requests.map((r, i) => ({ r, index: first + i }));
  while (pending.length > 0) {
    const head = pending[0]!;
    const members = pending.filter((p) => same(p.r.context, head.r.context));
    for (const m of members) pending.splice(pending.indexOf(m), 1);
    const ctx = head.r.context;
    const longest = ctx.length + Math.max(...members.map((m) => m.r.continuation.length)) - 1;
    if (members.length < 2 || ctx.length < 2 || longest > maxLength) {
      groups.push(...members.map((m) => ({ shared: [], units: [wholeUnit(m.index, m.r, maxLength)] })));
      continue;
    }
    const last = ctx[ctx.length - 1]!;
    groups.push({
      shared: ctx.slice(0, -1),
      units: members.map((m) => ({
        request: m.index,
        tail: [last, ...m.r.continuation.slice(0, -1)],
        targets: m.r.continuation,
      })),
    });
  }
  return groups;
}

export interface ChunkLimits {
  /** Rows of one continuation run (a group's units are never split across runs). */
  readonly maxRows: number;
  /** Rows × padded tail length of one run: bounds the logits fetched, [rows, tail, vocab] floats. */
  readonly maxTokens: number;
}

const span = (g: ScoreGroup) => g.shared.length + Math.max(...g.units.map((u) => u.tail.length));

/**
 * Groups in runs: longest first (as the harness sorts, so padding stays small), each run filled while its rows and
 * padded tokens stay within the limits; a group larger than the limits runs alone.
 */
export function chunkGroups(groups: readonly ScoreGroup[], limits: ChunkLimits): ScoreGroup[][] {
  const sorted = [...groups].sort((a, b) => span(b) - span(a));
  const chunks: ScoreGroup[][] = [];
  let current: ScoreGroup[] = [];
  let rows = 0;
  let tail = 0;
  for (const g of sorted) {
    const gTail = Math.max(...g.units.map((u) => u.tail.length));
    const nextRows = rows + g.units.length;
    const nextTail = Math.max(tail, gTail);
    if (current.length > 0 && (nextRows > limits.maxRows || nextRows * nextTail > limits.maxTokens)) {
      chunks.push(current);
      [current, rows, tail] = [[], 0, 0];
    }
    current.push(g);
    rows += g.units.length;
    tail = Math.max(tail, gTail);
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
