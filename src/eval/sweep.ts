/**
 * The trade-off sweep (DESIGN.md §3 "Evaluation"): the dense graph; every static width k (the input-choice graph
 * with every token at expert k); the learned router and the oracle at every threshold. Each point gets quality,
 * realized compute and — except the oracle, whose graph runs every block to find its choice — measured latency.
 * One session per graph, created once, so every timing shares the process, the threads and the warm caches.
 */
import type { TokenWindows } from '../data/windows.js';
import { EXPERT_CHOICE, ROUTER_THRESHOLD } from '../graph/names.js';
import type { RouterShape } from '../ir/flops.js';
import type { Device } from '../runtime/device.js';
import type { Feeds, Session } from '../runtime/session.js';
import { createSession, releaseSession } from '../runtime/session.js';
import { float32Tensor, int64Tensor } from '../runtime/tensors.js';
import type { PointKind } from '../report/types.js';
import { ComputeAccumulator } from './compute.js';
import { cacheShape, type EvalGraphs, type EvalModel, type LatencySettings } from './eval-model.js';
import { measureLatencies, summarizeLatency } from './latency.js';
import type { PointMeasurement } from './pareto.js';
import { measureQuality } from './quality.js';
import { scorePointTasks, type SweepTasks } from './tasks/point.js';
import { type LayerEvalModel, measureLayerSequential } from './layer-sweep.js';
import { InternalError } from '../util/errors.js';

export interface SweepInput {
  readonly model: EvalModel;
  readonly windows: TokenWindows;
  readonly batch: number;
  readonly thresholds: readonly number[];
  /** null: no timings (`--no-latency`); points get `latency: null`. */
  readonly latency: LatencySettings | null;
  /** Downstream tasks scored at every point with the point's graph and inputs; absent: none. */
  readonly tasks?: SweepTasks;
  /** Called before each point is measured, with its label and 0-based index of `total`. */
  readonly onPoint?: (p: { label: string; index: number; total: number }) => void;
  /**
   * Quality and compute layer by layer from the checkpoint (layer-sweep.ts) instead of the emitted whole graphs,
   * which then serve only the latency timings and the tasks.
   */
  readonly layered?: LayerEvalModel;
  /** Where the whole graphs run (default cpu). */
  readonly device?: Device;
  /** Measure only these kinds of points (default: all); graphs no such point uses are never opened. */
  readonly kinds?: readonly PointKind[];
}

export interface PlannedPoint {
  readonly kind: PointKind;
  readonly threshold: number | null;
  readonly expert: number | null;
  readonly graph: keyof EvalGraphs;
  readonly feeds?: (batch: number, seq: number) => Feeds;
  /** The expert every token uses in a graph without `expert_index` (dense). */
  readonly fixedChoice?: number;
  readonly router: RouterShape | null;
  readonly timed: boolean;
}

/** Every point of the sweep, baselines first. */
export function planSweep(model: EvalModel, thresholds: readonly number[]): PlannedPoint[] {
  const K = model.expertSizes.length;
  const layers = model.config.numLayers;
  const threshold = (t: number) => () => ({ [ROUTER_THRESHOLD]: float32Tensor([t], []) });
  const choice = (k: number) => (batch: number, seq: number) => ({
    [EXPERT_CHOICE]: int64Tensor(new Array<number>(layers * batch * seq).fill(k), [layers, batch, seq]),
  });
  const none = { threshold: null, expert: null, router: null } as const;
  return [
    { ...none, kind: 'dense', graph: 'dense', fixedChoice: K - 1, timed: true },
    ...model.expertSizes.map((_, k) => ({
      ...none,
      kind: 'static' as const,
      expert: k,
      graph: 'choice' as const,
      feeds: choice(k),
      timed: true,
    })),
    ...thresholds.map((t) => ({
      ...none,
      kind: 'learned' as const,
      threshold: t,
      graph: 'learned' as const,
      feeds: threshold(t),
      router: model.router,
      timed: true,
    })),
    ...thresholds.map((t) => ({
      ...none,
      kind: 'oracle' as const,
      threshold: t,
      graph: 'oracle' as const,
      feeds: threshold(t),
      timed: false,
    })),
  ];
}

export async function runSweep(input: SweepInput): Promise<PointMeasurement[]> {
  const plan = planSweep(input.model, input.thresholds).filter((p) => input.kinds?.includes(p.kind) ?? true);
  const total = plan.length + 1;
  const layered =
    input.layered &&
    (await measureLayerSequential({
      layered: input.layered,
      model: input.model,
      windows: input.windows,
      batch: input.batch,
      points: plan,
      onLayer: (layer, layers) =>
        input.onPoint?.({ label: `quality, layer ${layer + 1}/${layers}`, index: 0, total }),
    }));
  // The whole graphs are opened only for what needs them: quality without the layered model, tasks, latency.
  if (layered && !input.latency && !input.tasks) return layered;
  const used = new Set(plan.map((p) => p.graph));
  const sessions = await openSessions(
    input.model.graphs,
    { threads: input.latency?.threads ?? 0, device: input.device ?? 'cpu' },
    used,
  );
  try {
    const points: PointMeasurement[] = [];
    for (const [index, p] of plan.entries()) {
      input.onPoint?.({ label: pointLabel(p), index, total });
      const session = sessions[p.graph];
      points.push(
        layered
          ? { ...layered[index]!, ...(await pointTasks(input, { point: p, session })) }
          : await measurePoint(input, { point: p, session }),
      );
    }
    if (!input.latency) return points;
    input.onPoint?.({ label: 'latency', index: plan.length, total });
    const timed = plan.flatMap((p, i) => (p.timed ? [i] : []));
    const samples = await measureLatencies(
      timed.map((i) => ({
        session: sessions[plan[i]!.graph],
        model: input.model,
        settings: input.latency!,
        tokens: promptTokens(input.windows, input.latency!),
        ...(plan[i]!.feeds && { extraFeeds: plan[i]!.feeds }),
      })),
    );
    // Every speedup is against dense, timed in the same rounds.
    const reference = samples[timed.findIndex((i) => plan[i]!.kind === 'dense')] ?? null;
    timed.forEach((i, j) => {
      const own = samples[j]!;
      points[i] = { ...points[i]!, latency: summarizeLatency(own, own === reference ? null : reference) };
    });
    return points;
  } finally {
    for (const s of Object.values(sessions)) await releaseSession(s);
  }
}

/** The point's task scores on its whole graph (none without tasks). */
async function pointTasks(
  input: SweepInput,
  a: { point: PlannedPoint; session: Session },
): Promise<Pick<PointMeasurement, 'tasks'>> {
  if (!input.tasks) return {};
  const tasks = await scorePointTasks(input.tasks, {
    session: a.session,
    cache: cacheShape(input.model.config),
    ...(a.point.feeds && { extraFeeds: a.point.feeds }),
  });
  return tasks ? { tasks } : {};
}

export function pointLabel(p: Pick<PlannedPoint, 'kind' | 'threshold' | 'expert'>): string {
  if (p.kind === 'static') return `static expert ${p.expert}`;
  return p.threshold === null ? p.kind : `${p.kind} threshold ${p.threshold}`;
}

async function measurePoint(
  input: SweepInput,
  a: { point: PlannedPoint; session: Session },
): Promise<PointMeasurement> {
  const { model } = input;
  const { point } = a;
  const accumulator = new ComputeAccumulator({
    config: model.config,
    ffnKind: model.ffnKind,
    expertSizes: model.expertSizes,
    router: point.router,
  });
  const quality = await measureQuality({
    session: a.session,
    model,
    windows: input.windows,
    batch: input.batch,
    ...(point.feeds && { extraFeeds: point.feeds }),
    compute: { accumulator, ...(point.fixedChoice !== undefined && { fixedChoice: point.fixedChoice }) },
  });
  const compute = accumulator.totals();
  const tasks = await pointTasks(input, a);
  return {
    kind: point.kind,
    threshold: point.threshold,
    expert: point.expert,
    ffn_fraction: compute.ffnFraction,
    ffn_router_fraction: compute.ffnRouterFraction,
    flops_fraction: compute.flopsFraction,
    perplexity: quality.perplexity,
    accuracy: quality.accuracy,
    ffn_fraction_per_layer: compute.ffnFractionPerLayer,
    expert_histogram: compute.expertHistogram,
    latency: null, // filled by runSweep, which times every graph in turn
    ...tasks,
  };
}

/** Sessions open in one order whatever the points' order (the sessions share the process's caches). */
const GRAPH_ORDER = ['learned', 'oracle', 'choice', 'dense'] as const satisfies readonly (keyof EvalGraphs)[];

async function openSessions(
  graphs: EvalGraphs,
  o: { threads: number; device: Device },
  used: ReadonlySet<keyof EvalGraphs>,
): Promise<Record<keyof EvalGraphs, Session>> {
  const opts = { device: o.device, ...(o.threads > 0 ? { threads: o.threads } : {}) };
  const sessions = {} as Record<keyof EvalGraphs, Session>;
  for (const name of GRAPH_ORDER.filter((g) => used.has(g))) {
    const path = graphs[name];
    // app/eval opens a directory without a dense graph only for the layer-by-layer sweep, never timed.
    if (!path) throw new InternalError(`sweep: no ${name} graph to open`);
    sessions[name] = await createSession(path, opts);
  }
  return sessions;
}

/** The eval text's first seq + decode tokens (cycled when the windows hold fewer): the same prompt for every graph. */
function promptTokens(w: TokenWindows, s: LatencySettings): number[] {
  const need = s.seq + Math.max(1, s.decodeTokens);
  return Array.from({ length: need }, (_, i) => w.ids[i % w.ids.length]!);
}
