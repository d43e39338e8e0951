/**
 * Paired latency timing. The box is shared, so load comes and goes: the graphs of one comparison are timed in
 * interleaved rounds (each round runs every graph once, in rotating order) and ratios are taken per round, then
 * the median. Per graph and round: prefill of `seq` tokens (empty KV cache), then teacher-forced decoding with the
 * KV cache (the same protocol as src/eval/latency.ts, which times one graph at a time). An untimed first pass
 * warms each session up and records the FFN fraction the routing realized (from `expert_index`).
 */
import { cacheShape } from '../src/eval/eval-model.js';
import type { ModelConfig } from '../src/ir/model.js';
import { emptyPast, pastFromPresent, tokenFeeds } from '../src/runtime/decoder-feeds.js';
import {
  createSession,
  type Feeds,
  releaseSession,
  run,
  type Session,
  type Tensor,
} from '../src/runtime/session.js';
import { readInt64 } from '../src/runtime/tensors.js';
import { medianInterval, REQUIRED_CONFIDENCE } from '../src/eval/latency-stats.js';
import { median, round } from './timing.js';

export interface LatencySetup {
  readonly config: ModelConfig;
  readonly tokens: readonly number[];
  readonly seq: number;
  readonly decodeTokens: number;
  readonly repeats: number;
  readonly threads: number;
}

export interface GraphRun {
  readonly path: string;
  readonly extraFeeds?: (batch: number, seq: number) => Feeds;
  /** Nested expert sizes, for graphs that output `expert_index`. */
  readonly sizes?: readonly number[];
  /** FFN fraction of a dense graph (a static slice: n / ffnDim of the source); default 1. */
  readonly denseFraction?: number;
}

export interface Timed {
  /** Per round: prefill ms, and decode ms per token. */
  readonly prefill: readonly number[];
  readonly decode: readonly number[];
  readonly prefillFraction: number;
  readonly decodeFraction: number;
  /** Share of (layer, token) pairs per expert in the prefill, for MoE graphs. */
  readonly histogram?: readonly number[];
}

export type Phase = 'prefill' | 'decode';

/** Median over rounds of a[i] / b[i]. */
export function pairedRatio(a: Timed, b: Timed, phase: Phase): number {
  return median(a[phase].map((v, i) => v / b[phase][i]!));
}

/**
 * The distribution-free interval of that median (src/eval/latency-stats.ts), as a figure note: "99% [1.02–1.21]",
 * and "no measurable difference" when it contains 1 or the repeats are too few for 99%.
 */
export function pairedIntervalNote(a: Timed, b: Timed, phase: Phase): string {
  const i = medianInterval(a[phase].map((v, k) => v / b[phase][k]!));
  const range = `${Math.round(i.confidence * 100)}% interval [${round(i.low, 2)}–${round(i.high, 2)}]`;
  const measurable = i.confidence >= REQUIRED_CONFIDENCE && (i.low > 1 || i.high < 1);
  return measurable ? range : `${range}: no measurable difference`;
}

export async function timeGroup(setup: LatencySetup, graphs: readonly GraphRun[]): Promise<Timed[]> {
  const sessions: Session[] = [];
  try {
    for (const g of graphs) sessions.push(await createSession(g.path, { threads: setup.threads }));
    const first: Pass[] = [];
    for (let i = 0; i < graphs.length; i++) first.push(await pass(sessions[i]!, setup, graphs[i]!));
    const rounds = graphs.map(() => ({ prefill: [] as number[], decode: [] as number[] }));
    for (let r = 0; r < setup.repeats; r++) {
      for (let j = 0; j < graphs.length; j++) {
        const i = (j + r) % graphs.length;
        const p = await pass(sessions[i]!, setup, graphs[i]!);
        rounds[i]!.prefill.push(p.prefillMs);
        rounds[i]!.decode.push(p.decodeMs);
      }
    }
    return graphs.map((g, i) => timed(g, first[i]!, rounds[i]!));
  } finally {
    for (const s of sessions) await releaseSession(s);
  }
}

function timed(g: GraphRun, first: Pass, r: { prefill: number[]; decode: number[] }): Timed {
  const dense = g.denseFraction ?? 1;
  const sizes = g.sizes;
  if (!sizes) return { ...r, prefillFraction: dense, decodeFraction: dense };
  const full = sizes.at(-1)!;
  const fraction = (chosen: number[]) => mean(chosen.map((k) => sizes[k]! / full));
  return {
    ...r,
    prefillFraction: fraction(first.prefillChoices),
    decodeFraction: fraction(first.decodeChoices),
    histogram: sizes.map(
      (_, k) => first.prefillChoices.filter((c) => c === k).length / first.prefillChoices.length,
    ),
  };
}

interface Pass {
  readonly prefillMs: number;
  readonly decodeMs: number;
  readonly prefillChoices: number[];
  readonly decodeChoices: number[];
}

async function pass(session: Session, s: LatencySetup, g: GraphRun): Promise<Pass> {
  const choices = (out: Record<string, Tensor>) => (out.expert_index ? readInt64(out.expert_index) : []);
  const started = performance.now();
  let out = await run(session, {
    ...tokenFeeds({ ids: [s.tokens.slice(0, s.seq) as number[]] }),
    ...emptyPast(cacheShape(s.config), 1),
    ...g.extraFeeds?.(1, s.seq),
  });
  const prefilled = performance.now();
  const prefillChoices = choices(out);
  const decodeChoices: number[] = [];
  for (let t = 0; t < s.decodeTokens; t++) {
    const past = s.seq + t;
    out = await run(session, {
      ...tokenFeeds({ ids: [[s.tokens[past]!]], past }),
      ...pastFromPresent(out, s.config.numLayers),
      ...g.extraFeeds?.(1, 1),
    });
    decodeChoices.push(...choices(out));
  }
  const decodeMs = (performance.now() - prefilled) / Math.max(1, s.decodeTokens);
  return { prefillMs: prefilled - started, decodeMs, prefillChoices, decodeChoices };
}

function mean(v: readonly number[]): number {
  return v.reduce((a, x) => a + x, 0) / Math.max(1, v.length);
}
