/**
 * The layer-sequential runner (DESIGN.md §3 "Layer-sequential execution"): token windows are embedded once, then
 * each decoder layer's one-layer graph takes the current hidden states batch by batch, the caller collects what its
 * stage needs from each batch's outputs, and the layer's outputs replace the hidden states for the next layer.
 * Batches keep the same windows in the same order at every layer, so per-batch accumulators (reservoirs, activation
 * statistics, quality) see exactly the sequence the whole graph gave them.
 */
import type { TokenWindows } from '../data/windows.js';
import { buildEmbedGraph } from '../graph/layer-graph.js';
import type { WeightDtype } from '../graph/context.js';
import { HIDDEN_IN, HIDDEN_OUT } from '../graph/names.js';
import type { ModelIR } from '../ir/model.js';
import type { Precision } from '../ir/precision.js';
import { tokenFeeds } from '../runtime/decoder-feeds.js';
import { type Feeds, run, type Tensor } from '../runtime/session.js';
import { float32Tensor, readFloat32 } from '../runtime/tensors.js';
import { InternalError } from '../util/errors.js';
import { HiddenStates } from './hidden-states.js';
import { openPart, type PartPlace, type PartSession } from './part-session.js';
import { gatheredEmbedModel } from './vocab-rows.js';

/** Token windows cut into the batches every part runs: [batch][window][token]. */
export type WindowBatches = readonly (readonly (readonly number[])[])[];

export function batchWindows(windows: TokenWindows, perBatch: number): number[][][] {
  const out: number[][][] = [];
  for (let first = 0; first < windows.count; first += perBatch) {
    const rows = Math.min(perBatch, windows.count - first);
    out.push(
      Array.from({ length: rows }, (_, i) =>
        Array.from(windows.ids.subarray((first + i) * windows.seqLen, (first + i + 1) * windows.seqLen)),
      ),
    );
  }
  return out;
}

export interface RunnerSetup extends PartPlace {
  readonly ir: ModelIR;
  readonly batches: WindowBatches;
  /** Emitted weight precision of the graphs whose results this run must reproduce. */
  readonly dtype?: WeightDtype;
  /** The emitted graphs' output.dtypes precision those are (default fp32): linears and embedding as there. */
  readonly precision?: Precision;
  /** Hidden-state bytes the run may hold in RAM; beyond, they spill to files in the scratch dir. */
  readonly memoryBudgetBytes: number;
}

/** A hidden-state set shaped for the run's batches (empty until embedded or restored). */
export function newHiddenStates(
  s: RunnerSetup,
  name: string,
  budgetBytes = s.memoryBudgetBytes,
): HiddenStates {
  const seqLen = s.batches[0]?.[0]?.length ?? 0;
  if (seqLen === 0) throw new InternalError('layer runner: no token windows');
  return new HiddenStates(
    { batches: s.batches.map((b) => b.length), seqLen, hidden: s.ir.config.hidden },
    { dir: s.dir, name, budgetBytes },
  );
}

/**
 * The embedding of every batch into `hidden`. The part holds only the rows of the ids the batches use (read from
 * the checkpoint by offset, vocab-rows.ts), fed as their rows there; q8 quantizes the whole table with one scale
 * (precision/embedding.ts), so its part keeps the whole table to compute the same values.
 */
export async function embedAll(s: RunnerSetup, hidden: HiddenStates): Promise<void> {
  const gathered = (s.precision ?? 'fp32') === 'q8' ? undefined : gatheredEmbedModel(s.ir, s.batches.flat(2));
  const ir = gathered?.ir ?? s.ir;
  const rowOf = (id: number) => gathered?.rowOf.get(id) ?? id;
  const part = await openPart('embed', (data) => buildEmbedGraph(ir, { data, ...dtypeOf(s) }), s);
  try {
    for (const [i, ids] of s.batches.entries()) {
      const rows = ids.map((r) => r.map(rowOf));
      const out = await run(part.session, pick(part, tokenFeeds({ ids: rows })), [HIDDEN_OUT]);
      hidden.set(i, readFloat32(out[HIDDEN_OUT]!));
    }
  } finally {
    await part.release();
  }
}

export interface PassOptions {
  /** Graph-specific inputs of batch `index` with `rows` windows (router_threshold, expert_choice). */
  readonly extraFeeds?: (index: number, rows: number) => Feeds;
  /** Outputs to fetch besides hidden_out (default: every output). */
  readonly outputs?: readonly string[];
  /** Receives each batch's outputs, in batch order. */
  readonly visit?: (index: number, out: Record<string, Tensor>) => void | Promise<void>;
  /** false: leave `hidden` as it was (a head or a probe run); default true: hidden_out replaces it. */
  readonly advance?: boolean;
}

/** Runs an open part over every batch of `hidden`. */
export async function passBatches(
  s: RunnerSetup,
  part: PartSession,
  hidden: HiddenStates,
  o: PassOptions = {},
): Promise<void> {
  const advance = o.advance ?? true;
  const outputs = o.outputs ? [...new Set([...(advance ? [HIDDEN_OUT] : []), ...o.outputs])] : undefined;
  for (const [i, ids] of s.batches.entries()) {
    const seq = ids[0]!.length;
    const feeds = {
      ...tokenFeeds({ ids }),
      [HIDDEN_IN]: float32Tensor(hidden.get(i), [ids.length, seq, s.ir.config.hidden]),
      ...o.extraFeeds?.(i, ids.length),
    };
    const out = await run(part.session, pick(part, feeds), outputs);
    await o.visit?.(i, out);
    if (advance) hidden.set(i, readFloat32(out[HIDDEN_OUT]!));
  }
}

export function dtypeOf(s: { readonly dtype?: WeightDtype; readonly precision?: Precision }): {
  dtype?: WeightDtype;
  precision?: Precision;
} {
  return { ...(s.dtype && { dtype: s.dtype }), ...(s.precision && { precision: s.precision }) };
}

/** Only the feeds a part declares (ORT refuses unknown feed names), its weights among them. */
function pick(part: PartSession, feeds: Feeds): Feeds {
  const out: Feeds = {};
  for (const name of part.session.inputNames) {
    const t = part.weights[name] ?? feeds[name];
    if (!t) throw new InternalError(`layer runner: no feed for the part's input ${name}`);
    out[name] = t;
  }
  return out;
}
