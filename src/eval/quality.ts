/**
 * Quality of one graph on fixed token windows: every window runs whole (empty KV cache) in batches; position t
 * predicts token t+1, the window's last position is not scored. Perplexity and top-1 accuracy come from
 * QualityAccumulator; realized compute from the graph's `expert_index` (or from `fixedChoice` for graphs without
 * one) through ComputeAccumulator.
 */
import type { TokenWindows } from '../data/windows.js';
import { EXPERT_INDEX, LOGITS } from '../graph/names.js';
import { emptyPast, tokenFeeds } from '../runtime/decoder-feeds.js';
import { type Feeds, run, type Session, type Tensor } from '../runtime/session.js';
import { readFloat32 } from '../runtime/tensors.js';
import { type ComputeAccumulator } from './compute.js';
import { cacheShape, type EvalModel } from './eval-model.js';
import { IGNORE_TARGET, QualityAccumulator, type QualityTotals } from './perplexity.js';

export interface QualityRun {
  readonly session: Session;
  readonly model: Pick<EvalModel, 'config'>;
  readonly windows: TokenWindows;
  readonly batch: number;
  /** Graph-specific feeds for a [batch, seq] run (router_threshold, expert_choice); none for dense. */
  readonly extraFeeds?: (batch: number, seq: number) => Feeds;
  /** Counts each batch's expert_index; with `fixedChoice`, the graph has none and every token used that expert. */
  readonly compute?: { readonly accumulator: ComputeAccumulator; readonly fixedChoice?: number };
}

export async function measureQuality(r: QualityRun): Promise<QualityTotals> {
  const quality = new QualityAccumulator();
  const { seqLen } = r.windows;
  const vocab = r.model.config.vocabSize;
  const fetch = r.compute && r.compute.fixedChoice === undefined ? [LOGITS, EXPERT_INDEX] : [LOGITS];
  for (let first = 0; first < r.windows.count; first += r.batch) {
    const rows = windowRows(r.windows, first, Math.min(r.batch, r.windows.count - first));
    const feeds = {
      ...tokenFeeds({ ids: rows }),
      ...emptyPast(cacheShape(r.model.config), rows.length),
      ...r.extraFeeds?.(rows.length, seqLen),
    };
    const out = await run(r.session, feeds, fetch);
    quality.add({
      logits: readFloat32(out[LOGITS]!),
      batch: rows.length,
      seq: seqLen,
      vocab,
      targets: nextTokens(rows),
    });
    if (r.compute)
      addCompute(r.compute, { out, batch: rows.length, seq: seqLen, layers: r.model.config.numLayers });
  }
  return quality.totals();
}

function windowRows(w: TokenWindows, first: number, count: number): number[][] {
  return Array.from({ length: count }, (_, i) =>
    Array.from(w.ids.subarray((first + i) * w.seqLen, (first + i + 1) * w.seqLen)),
  );
}

/** targets [batch, seq]: the next id in the window, IGNORE_TARGET at each window's end. */
export function nextTokens(rows: readonly (readonly number[])[]): number[] {
  return rows.flatMap((row) => row.map((_, t) => (t + 1 < row.length ? row[t + 1]! : IGNORE_TARGET)));
}

function addCompute(
  c: NonNullable<QualityRun['compute']>,
  a: { out: Record<string, Tensor>; batch: number; seq: number; layers: number },
): void {
  const expertIndex =
    c.fixedChoice === undefined
      ? (a.out[EXPERT_INDEX]!.data as BigInt64Array)
      : new Array<number>(a.layers * a.batch * a.seq).fill(c.fixedChoice);
  c.accumulator.add({ expertIndex, batch: a.batch, seq: a.seq });
}
