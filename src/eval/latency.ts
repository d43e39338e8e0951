/**
 * Wall-clock latency of graphs at batch 1: prefill of `seq` prompt tokens (empty KV cache), and decoding with the
 * KV cache, one token per step. One warm-up run per graph, then `repeats` timed rounds; each round times every
 * graph once, in an order rotated by one each round. Per graph: median and spread (half the min–max range); against
 * the reference graph: paired speedups with their interval (latency-stats.ts). Decode feeds the text's own next
 * tokens (teacher forcing): no sampling cost is timed, and the routed experts see realistic tokens.
 */
import { emptyPast, pastFromPresent, tokenFeeds } from '../runtime/decoder-feeds.js';
import { type Feeds, run, type Session, type Tensor } from '../runtime/session.js';
import type { Latency } from '../report/types.js';
import { InternalError } from '../util/errors.js';
import { cacheShape, type EvalModel, type LatencySettings } from './eval-model.js';
import { median, pairedSpeedup } from './latency-stats.js';

export interface LatencyRun {
  readonly session: Session;
  readonly model: Pick<EvalModel, 'config'>;
  readonly settings: LatencySettings;
  /** At least seq + max(1, decodeTokens) ids: the prompt, then the decoded tokens. */
  readonly tokens: readonly number[];
  readonly extraFeeds?: (batch: number, seq: number) => Feeds;
}

/** Per timed round: prefill milliseconds and decode tokens per second. */
export interface LatencySamples {
  readonly prefillMs: readonly number[];
  readonly decodeRate: readonly number[];
}

/**
 * Times several graphs together: after one warm-up each, every round times every graph once, so a machine whose
 * load drifts during the sweep slows all graphs alike instead of whichever ran during the spike, and each round
 * pairs every graph with the reference. The start of each round rotates so no graph always runs first or last.
 */
export async function measureLatencies(runs: readonly LatencyRun[]): Promise<LatencySamples[]> {
  const timings = runs.map(() => ({ prefillMs: [] as number[], decodeRate: [] as number[] }));
  const repeats = new Set(runs.map((r) => r.settings.repeats));
  if (repeats.size > 1)
    throw new InternalError('latency: paired rounds need one repeat count for every graph');
  const rounds = runs[0]?.settings.repeats ?? 0;
  for (const r of runs) await timeOnce(r); // warm-up: first-run allocations and kernel selection
  for (let i = 0; i < rounds; i++) {
    for (let j = 0; j < runs.length; j++) {
      const at = (i + j) % runs.length;
      const t = await timeOnce(runs[at]!);
      timings[at]!.prefillMs.push(t.prefillMs);
      timings[at]!.decodeRate.push(t.decodeRate);
    }
  }
  return timings;
}

/** A graph's report entry; with the reference's samples (from the same rounds), its speedups over it. */
export function summarizeLatency(samples: LatencySamples, reference: LatencySamples | null): Latency {
  const speedups = reference && {
    prefill_speedup: pairedSpeedup({
      reference: reference.prefillMs,
      graph: samples.prefillMs,
      measure: 'time',
    }),
    decode_speedup: pairedSpeedup({
      reference: reference.decodeRate,
      graph: samples.decodeRate,
      measure: 'rate',
    }),
  };
  return {
    prefill_ms: median(samples.prefillMs),
    prefill_ms_spread: halfRange(samples.prefillMs),
    decode_tokens_per_s: median(samples.decodeRate),
    decode_tokens_per_s_spread: halfRange(samples.decodeRate),
    prefill_speedup: speedups ? speedups.prefill_speedup : null,
    decode_speedup: speedups ? speedups.decode_speedup : null,
  };
}

async function timeOnce(r: LatencyRun): Promise<{ prefillMs: number; decodeRate: number }> {
  const { seq } = r.settings;
  // A zero decode budget still times one step: the report's decode rate is always a measurement.
  const steps = Math.max(1, r.settings.decodeTokens);
  if (r.tokens.length < seq + steps)
    throw new InternalError(`latency: ${r.tokens.length} tokens, need ${seq + steps}`);
  const started = performance.now();
  const out = await prefill(r, seq);
  const prefilled = performance.now();
  await decode(r, { out, seq, steps });
  return { prefillMs: prefilled - started, decodeRate: (1000 * steps) / (performance.now() - prefilled) };
}

type Outputs = Record<string, Tensor>;

async function prefill(r: LatencyRun, seq: number): Promise<Outputs> {
  const feeds = {
    ...tokenFeeds({ ids: [r.tokens.slice(0, seq) as number[]] }),
    ...emptyPast(cacheShape(r.model.config), 1),
    ...r.extraFeeds?.(1, seq),
  };
  return run(r.session, feeds);
}

async function decode(r: LatencyRun, a: { out: Outputs; seq: number; steps: number }): Promise<void> {
  const layers = r.model.config.numLayers;
  let out = a.out;
  for (let t = 0; t < a.steps; t++) {
    const past = a.seq + t;
    const feeds = {
      ...tokenFeeds({ ids: [[r.tokens[past]!]], past }),
      ...pastFromPresent(out, layers),
      ...r.extraFeeds?.(1, 1),
    };
    out = await run(r.session, feeds);
  }
}

/** Half the min–max range: how far apart the repeats of one graph were. */
function halfRange(values: readonly number[]): number {
  return (Math.max(...values) - Math.min(...values)) / 2;
}
