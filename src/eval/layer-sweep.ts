/**
 * The sweep's quality and compute, layer by layer (DESIGN.md §3 "Layer-sequential execution"): the eval windows are
 * embedded once; every point (dense, static k, learned and oracle at each threshold) carries its own hidden states
 * through the model, so a MoE layer routes on what its own routed upstream produced, as in the whole graph. Per
 * layer, one graph per kind (dense, input-choice, router, oracle) is built from the checkpoint with the layer builder
 * and the same MoE FFN as the emitted graphs, all over one weight sink (their weights read once), each runs every
 * point of its kind, and the layer is released; then the final norm and head score every point, in vocabulary
 * chunks. Memory: one layer's weights (its FFN twice when the dense layer joins) plus the hidden states in flight
 * (spilled past the budget).
 */
import type { TokenWindows } from '../data/windows.js';
import type { WeightDtype } from '../graph/context.js';
import { buildLayerGraph } from '../graph/layer-graph.js';
import { moeFfn } from '../graph/moe-ffn.js';
import type { AdaptedReader, LayerExperts } from '../graph/moe-spec.js';
import type { ChoiceKind } from '../graph/moe-decoder.js';
import { EXPERT_CHOICE, EXPERT_INDEX, ROUTER_THRESHOLD } from '../graph/names.js';
import { DIMS } from '../graph/context.js';
import type { ModelIR } from '../ir/model.js';
import type { Precision } from '../ir/precision.js';
import { permutedFfnIr } from '../experts/permuted-ir.js';
import { ELEM, type GraphBuilder, type WeightSink } from '../onnx/builder.js';
import type { HiddenStates } from '../pipeline/hidden-states.js';
import {
  batchWindows,
  dtypeOf,
  embedAll,
  newHiddenStates,
  passBatches,
  type RunnerSetup,
} from '../pipeline/layer-runner.js';
import { windowsPerRun } from '../pipeline/run-size.js';
import { partModel } from '../pipeline/float32-storage.js';
import {
  openPart,
  openParts,
  type PartPlace,
  type PartSession,
  type PartSpec,
} from '../pipeline/part-session.js';
import type { ErrorBase } from '../router/targets.js';
import type { Feeds } from '../runtime/session.js';
import { float32Tensor, int64Tensor } from '../runtime/tensors.js';
import type { PointKind } from '../report/types.js';
import type { RouterShape } from '../ir/flops.js';
import { InternalError } from '../util/errors.js';
import { ComputeAccumulator } from './compute.js';
import type { EvalModel } from './eval-model.js';
import type { PointMeasurement } from './pareto.js';
import { headQualities } from './head-scores.js';

/** What the layer graphs are built from: the checkpoint's IR and the emitted graphs' experts and precision. */
export interface LayerEvalModel extends PartPlace {
  readonly ir: ModelIR;
  /** Per layer, as the emitted MoE graphs have them. */
  readonly experts: readonly LayerExperts[];
  readonly errorBase: ErrorBase;
  /** Each layer's adapted experts, read as that layer's graphs are built (moe-spec.ts AdaptedReader). */
  readonly readAdapted?: AdaptedReader;
  readonly dtype?: WeightDtype;
  /**
   * The output.dtypes precision measured (default fp32): every part is built in it as the emitted graphs of that
   * precision are, the dense layers from the MoE's neuron order as that precision's dense baseline is
   * (app/convert/emit-precisions.ts), so 4-bit blocks hold the same neurons.
   */
  readonly precision?: Precision;
  /** Hidden-state bytes all points together may hold in RAM. */
  readonly memoryBudgetBytes: number;
}

/** What the layer sweep needs of the evaluated model (no whole graphs). */
export type LayerSweepModel = Omit<EvalModel, 'graphs'>;

/** The sweep's point, as far as the layer sweep needs it (sweep.ts LayerPoint). */
export interface LayerPoint {
  readonly kind: PointKind;
  readonly threshold: number | null;
  readonly expert: number | null;
  readonly graph: 'dense' | 'choice' | 'learned' | 'oracle';
  /** The expert every token uses in a graph without `expert_index` (dense). */
  readonly fixedChoice?: number;
  readonly router: RouterShape | null;
  /**
   * Per-layer multipliers of a learned or oracle point's threshold (layer l is fed s_l · threshold): the per-layer
   * budget search (app/convert/budgets.ts) measures many scale vectors in one pass. Absent: the graphs' own.
   */
  readonly layerScales?: readonly number[];
}

type GraphKind = 'dense' | ChoiceKind;

/** The runner's setup and the model the dense layers are built from. */
interface LayerSetup extends RunnerSetup {
  readonly denseIr: ModelIR;
}

/** fp32's dense graph is the checkpoint's order; every other precision's holds the MoE's (see `precision`). */
function denseModel(ir: ModelIR, layered: LayerEvalModel): ModelIR {
  if ((layered.precision ?? 'fp32') === 'fp32') return ir;
  return permutedFfnIr(
    ir,
    layered.experts.map((e) => e.permutation),
  );
}
/** The kinds in the order a layer runs them (dense first, as the sweep lists its points). */
const GRAPH_KINDS = ['dense', 'input', 'router', 'oracle'] as const satisfies readonly GraphKind[];
const KIND_OF: Record<LayerPoint['graph'], GraphKind> = {
  dense: 'dense',
  choice: 'input',
  learned: 'router',
  oracle: 'oracle',
};

interface PointState {
  readonly point: LayerPoint;
  readonly hidden: HiddenStates;
  /** [batch] → [layers, rows, seq] expert per token (filled layer by layer). */
  readonly choices: Uint8Array[];
}

/**
 * Hidden-state bytes the points carried together may take: past it the points run in groups, each its own pass
 * over the layers (graphs rebuilt per group), so RAM stays bounded without spilling at small sizes.
 */
const GROUP_BYTES = 256 * 2 ** 20;

export async function measureLayerSequential(a: {
  readonly layered: LayerEvalModel;
  readonly model: LayerSweepModel;
  readonly windows: TokenWindows;
  readonly batch: number;
  readonly points: readonly LayerPoint[];
  readonly onLayer?: (layer: number, layers: number) => void;
}): Promise<PointMeasurement[]> {
  const { layered } = a;
  const { ir } = layered;
  const setup: LayerSetup = {
    ...layered,
    ir: partModel(ir, layered.dtype),
    denseIr: denseModel(partModel(ir, layered.dtype), layered),
    // Smaller runs than the whole graph's batches where a layer is big (prompt SIGINT); quality and compute
    // accumulate row by row, so the split does not change what they sum.
    batches: batchWindows(a.windows, windowsPerRun(ir, { seqLen: a.windows.seqLen, upTo: a.batch })),
    memoryBudgetBytes: layered.memoryBudgetBytes,
    // Weight inputs carry float32 and bf16 weights only: a quantized part's packed blocks, scales and zero points
    // must stay initializers (MatMulNBits / MatMulInteger read them as constants; fed, q4 perplexity was 58× off).
    ...((layered.precision ?? 'fp32') !== 'fp32' && { weights: 'initializers' as const }),
  };
  const pointBytes = a.windows.count * a.windows.seqLen * ir.config.hidden * 4;
  const cap = Math.min(GROUP_BYTES, layered.memoryBudgetBytes);
  const groupSize = Math.max(1, Math.min(a.points.length, Math.floor(cap / pointBytes)));
  // Each store spills on its own once its share of the budget is passed (one point larger than the budget).
  const perStore = Math.floor(layered.memoryBudgetBytes / (groupSize + 1));
  const embedded = newHiddenStates(setup, 'embedded', perStore);
  try {
    await embedAll(setup, embedded);
    const out: PointMeasurement[] = [];
    for (let first = 0; first < a.points.length; first += groupSize) {
      const group = a.points.slice(first, first + groupSize);
      out.push(...(await measureGroup(setup, { ...a, points: group, embedded, perStore, first })));
    }
    return out;
  } finally {
    embedded.release();
  }
}

async function measureGroup(
  setup: LayerSetup,
  a: {
    readonly layered: LayerEvalModel;
    readonly model: LayerSweepModel;
    readonly points: readonly LayerPoint[];
    readonly embedded: HiddenStates;
    readonly perStore: number;
    readonly first: number;
    readonly onLayer?: (layer: number, layers: number) => void;
  },
): Promise<PointMeasurement[]> {
  const { layered, model } = a;
  const L = layered.ir.config.numLayers;
  const states: PointState[] = [];
  try {
    for (const [p, point] of a.points.entries()) {
      const hidden = newHiddenStates(setup, `point.${a.first + p}`, a.perStore);
      setup.batches.forEach((_, i) => hidden.set(i, a.embedded.get(i).slice()));
      states.push({
        point,
        hidden,
        choices: setup.batches.map((rows) => new Uint8Array(L * rows.length * rows[0]!.length)),
      });
    }
    for (let layer = 0; layer < L; layer++) {
      a.onLayer?.(layer, L);
      const kinds = GRAPH_KINDS.filter((kind) => states.some((s) => KIND_OF[s.point.graph] === kind));
      // On CUDA each session holds its own device copy of the initializers it takes, so a layer's kinds open one at
      // a time there (as before), each reading its weights; on CPU they open together over shared weights.
      for (const group of setup.device === 'cuda' ? kinds.map((k) => [k]) : [kinds]) {
        const parts = await openLayerParts(setup, { layered, model, layer, kinds: group });
        try {
          for (const [k, kind] of group.entries()) {
            const mine = states.filter((s) => KIND_OF[s.point.graph] === kind);
            await runLayerKind(setup, { part: parts[k]!, layers: L, layer, kind, states: mine });
          }
        } finally {
          for (const part of parts) await part.release();
        }
      }
    }
    return await scoreHeads(setup, { layered, model, states });
  } finally {
    for (const s of states) s.hidden.release();
  }
}

/**
 * Layer `layer`'s graph of each kind, opened together over one weight sink (part-session.ts `openParts`): the MoE
 * graphs take the same nested expert blocks, which are then read from the checkpoint, permuted and widened once per
 * layer instead of once per kind (most of the sweep's JavaScript time at hidden 2048), and the attention weights,
 * the same tensors in every kind, once as well. The dense graph joins them when it is built from the same model
 * (fp32); another precision's dense layer holds the MoE's neuron order under the checkpoint's names, so it opens
 * on its own sink.
 */
async function openLayerParts(
  setup: LayerSetup,
  a: { layered: LayerEvalModel; model: LayerSweepModel; layer: number; kinds: readonly GraphKind[] },
): Promise<PartSession[]> {
  const spec = (kind: GraphKind): PartSpec => ({
    name: `layer.${a.layer}.${kind}`,
    build: (data) =>
      layerGraph(
        { ...a, kind, layered: { ...a.layered, ir: kind === 'dense' ? setup.denseIr : setup.ir } },
        data,
      ),
  });
  if (setup.denseIr === setup.ir || !a.kinds.includes('dense')) return openParts(a.kinds.map(spec), setup);
  const dense = await openPart(spec('dense').name, spec('dense').build, setup);
  try {
    return [dense, ...(await openParts(a.kinds.filter((k) => k !== 'dense').map(spec), setup))];
  } catch (err) {
    await dense.release();
    throw err;
  }
}

async function runLayerKind(
  setup: LayerSetup,
  a: { part: PartSession; layers: number; layer: number; kind: GraphKind; states: PointState[] },
): Promise<void> {
  for (const s of a.states) {
    await passBatches(setup, a.part, s.hidden, {
      ...(a.kind !== 'dense' && { outputs: [EXPERT_INDEX] }),
      extraFeeds: (_, rows) =>
        pointFeeds(s.point, { layers: a.layers, rows, seq: setup.batches[0]![0]!.length, layer: a.layer }),
      visit: (i, out) => {
        if (a.kind === 'dense') return;
        const index = out[EXPERT_INDEX]!.data as BigInt64Array;
        const per = index.length;
        const target = s.choices[i]!;
        for (let t = 0; t < per; t++) target[a.layer * per + t] = Number(index[t]);
      },
    });
  }
}

/** Layer `layer`'s graph of `kind`: the dense layer, or the MoE layer with an `expert_index` [B, T] output. */
async function layerGraph(
  a: { layered: LayerEvalModel; layer: number; kind: GraphKind; model: LayerSweepModel },
  data: WeightSink,
): Promise<GraphBuilder> {
  const { ir } = a.layered;
  const opts = { data, ...dtypeOf(a.layered) };
  if (a.kind === 'dense') return buildLayerGraph(ir, a.layer, opts);
  if (a.kind === 'fixed') throw new InternalError('layer sweep: no fixed-threshold points');
  let choice: string | undefined;
  const ffn = moeFfn({
    sizes: a.model.expertSizes,
    layers: a.layered.experts,
    choice: { kind: a.kind },
    errorBase: a.layered.errorBase,
    ...(a.layered.readAdapted && { readAdapted: a.layered.readAdapted }),
    onChoice: (_, c) => (choice = c),
  });
  const b = await buildLayerGraph(ir, a.layer, { ...opts, ffn });
  if (!choice) throw new InternalError(`layer ${a.layer}: the MoE FFN reported no choice`);
  b.output(EXPERT_INDEX, choice, ELEM.int64, [DIMS.batch, DIMS.seq]);
  return b;
}

/** The point's graph inputs for one batch (the whole graph's `expert_choice` is [layers, batch, seq]). */
function pointFeeds(p: LayerPoint, s: { layers: number; rows: number; seq: number; layer: number }): Feeds {
  if (p.graph === 'learned' || p.graph === 'oracle') {
    return { [ROUTER_THRESHOLD]: float32Tensor([p.threshold! * (p.layerScales?.[s.layer] ?? 1)], []) };
  }
  if (p.graph === 'choice') {
    const n = s.layers * s.rows * s.seq;
    return {
      [EXPERT_CHOICE]: int64Tensor(new BigInt64Array(n).fill(BigInt(p.expert!)), [s.layers, s.rows, s.seq]),
    };
  }
  return {};
}

/**
 * Final norm + head on every point's last hidden states, in vocabulary chunks (head-scores.ts): quality; and
 * compute from the recorded choices.
 */
async function scoreHeads(
  setup: RunnerSetup,
  a: { layered: LayerEvalModel; model: LayerSweepModel; states: PointState[] },
): Promise<PointMeasurement[]> {
  const { model } = a;
  const qualities = await headQualities(setup, {
    ir: a.layered.ir,
    states: a.states.map((s) => s.hidden),
  });
  return a.states.map((s, p) => {
    const compute = new ComputeAccumulator({
      config: model.config,
      ffnKind: model.ffnKind,
      expertSizes: model.expertSizes,
      router: s.point.router,
    });
    setup.batches.forEach((rows, i) => {
      const seq = rows[0]!.length;
      const expertIndex =
        s.point.fixedChoice === undefined
          ? s.choices[i]!
          : new Uint8Array(model.config.numLayers * rows.length * seq).fill(s.point.fixedChoice);
      compute.add({ expertIndex, batch: rows.length, seq });
    });
    const q = qualities[p]!;
    const c = compute.totals();
    return {
      kind: s.point.kind,
      threshold: s.point.threshold,
      expert: s.point.expert,
      ffn_fraction: c.ffnFraction,
      ffn_router_fraction: c.ffnRouterFraction,
      flops_fraction: c.flopsFraction,
      perplexity: q.perplexity,
      accuracy: q.accuracy,
      ffn_fraction_per_layer: c.ffnFractionPerLayer,
      expert_histogram: c.expertHistogram,
      latency: null,
    };
  });
}
