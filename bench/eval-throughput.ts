/**
 * Layer-sequential evaluation throughput against a bare dense forward of the same checkpoint and tokens, in ONE
 * process and interleaved (dense point, routed point, bare forward, …), so all three see the same machine load;
 * each pair's ratio of tokens/s is reported with its spread. An evaluation pass is convert's own code
 * (`measureLayerSequential`: embedding, per layer the part graphs built from the checkpoint — the dense layer, or
 * the MoE FFN of the emitted graphs with its router — the runs, the expert choices, then the head in vocabulary
 * chunks), measuring one point: the dense point, or a learned point routed by its router. A sweep of N points costs
 * about N such passes (its hidden states differ per point), so a point's tokens/s is what the budget of #14 item 7
 * (≥ 0.7× the bare forward) speaks of. The experts are a seeded random permutation and seeded mlp routers whose
 * output bias spreads the tokens over the experts at threshold 0.1 (the sweep's cost does not depend on how the
 * neurons were ordered). Run alone: `tsx bench/eval-throughput.ts <checkpoint> <tokens> <seq> <pairs> [sweep]`;
 * `sweep` also times convert's whole 11-point sweep (thresholds 0, 0.075, 0.1) once, per point.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LayerEvalModel, LayerPoint, LayerSweepModel } from '../src/eval/layer-sweep.js';
import { measureLayerSequential } from '../src/eval/layer-sweep.js';
import { planSweep } from '../src/eval/sweep.js';
import { loadTokenizer } from '../src/data/tokenizer.js';
import { textWindows, type TokenWindows } from '../src/data/windows.js';
import { loadModelIR } from '../src/families/load.js';
import { resolveWeightDtype } from '../src/graph/weights.js';
import type { ModelIR } from '../src/ir/model.js';
import { initMlpRouter } from '../src/router/spec.js';
import { Rng } from '../src/util/random.js';
import { openBareForward } from './bare-forward.js';
import { REPO_ROOT } from './cli-path.js';

const SIZES = [0.25, 0.5, 0.75, 1];
const ROUTER_HIDDEN = 64;
/** log-error biases of the three smaller experts: at threshold 0.1 tokens split between experts 1–3. */
const ROUTER_BIAS = [Math.log(0.4), Math.log(0.1), Math.log(0.03)];
const ROUTED_THRESHOLD = 0.1;
/** The recipe's default `eval.batch`. */
const BATCH = 16;

/** Wall seconds, and CPU seconds of the process (every ORT thread included): steadier than wall on a shared box. */
export interface Timed {
  readonly wall: number;
  readonly cpu: number;
}

export interface EvalThroughputResult {
  readonly tokens: number;
  /** Per pair: the dense point, the routed point and the bare forward; ratios = bare / point. */
  readonly pairs: readonly { dense: Timed; routed: Timed; bare: Timed }[];
  /** Ratios of wall seconds, and of CPU seconds. */
  readonly dense: { wall: Spread; cpu: Spread };
  readonly routed: { wall: Spread; cpu: Spread };
  readonly bareLoadSeconds: number;
  /** The whole sweep once, its points, and the bare forward's seconds ÷ seconds per point (wall, CPU). */
  readonly sweep?: { seconds: Timed; points: number; bare: Timed; ratio: Timed };
}

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export async function measureEvalThroughput(a: {
  readonly checkpoint: string;
  readonly tokens: number;
  readonly seqLen: number;
  readonly pairs: number;
  readonly sweep?: boolean;
}): Promise<EvalThroughputResult> {
  const dir = mkdtempSync(join(tmpdir(), 'moefy-eval-throughput-'));
  try {
    const ir = await loadModelIR(a.checkpoint);
    const windows = evalWindows(a.checkpoint, a.tokens, a.seqLen);
    const tokens = windows.count * windows.seqLen;
    const { layered, model } = syntheticExperts(ir, dir);
    const points = planSweep({ ...model, graphs: { learned: '', oracle: '', choice: '' } }, [
      0,
      0.075,
      ROUTED_THRESHOLD,
    ]);
    const dense = points.find((p) => p.kind === 'dense')!;
    const routed = points.find((p) => p.kind === 'learned' && p.threshold === ROUTED_THRESHOLD)!;
    const pass = (pts: readonly LayerPoint[]) =>
      timed(() => measureLayerSequential({ layered, model, windows, batch: BATCH, points: pts }));
    const bare = await openBareForward(ir, windows);
    const pairs: { dense: Timed; routed: Timed; bare: Timed }[] = [];
    let sweep: EvalThroughputResult['sweep'];
    try {
      for (let p = 0; p < a.pairs; p++) {
        const d = await pass([dense]);
        const r = await pass([routed]);
        pairs.push({ dense: d, routed: r, bare: await timed(() => bare.pass()) });
      }
      if (a.sweep) {
        const seconds = await pass(points);
        const b = await timed(() => bare.pass());
        const n = points.length;
        sweep = {
          seconds,
          points: n,
          bare: b,
          ratio: { wall: b.wall / (seconds.wall / n), cpu: b.cpu / (seconds.cpu / n) },
        };
      }
    } finally {
      await bare.close();
    }
    return {
      tokens,
      pairs,
      dense: ratios(pairs, 'dense'),
      routed: ratios(pairs, 'routed'),
      bareLoadSeconds: bare.loadSeconds,
      ...(sweep && { sweep }),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function evalWindows(checkpoint: string, tokens: number, seqLen: number): TokenWindows {
  const text = readFileSync(join(REPO_ROOT, 'fixtures/kjv-llama/eval.txt'), 'utf8');
  const ids = loadTokenizer(checkpoint).encode(text);
  return textWindows({ ids, seqLen, maxTokens: tokens });
}

/** Seeded random neuron orders and mlp routers for every layer, as convert's router stage would hand them over. */
function syntheticExperts(ir: ModelIR, dir: string): { layered: LayerEvalModel; model: LayerSweepModel } {
  const { config } = ir;
  const ffn = ir.layers[0]!.ffn;
  const ffnDim = ffn.down.inFeatures;
  const expertSizes = SIZES.map((s) => Math.round(s * ffnDim));
  const rng = new Rng(7);
  const experts = ir.layers.map((layer) => {
    const permutation = Int32Array.from({ length: ffnDim }, (_, i) => i);
    for (let i = ffnDim - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [permutation[i], permutation[j]] = [permutation[j]!, permutation[i]!];
    }
    const router = initMlpRouter({
      d: config.hidden,
      hidden: ROUTER_HIDDEN,
      outputs: SIZES.length - 1,
      seed: layer.index,
      outputBias: ROUTER_BIAS,
    });
    return { permutation, router };
  });
  const layered: LayerEvalModel = {
    ir,
    experts,
    errorBase: 'residual',
    dtype: resolveWeightDtype('auto', ir),
    dir,
    device: 'cpu',
    memoryBudgetBytes: 8 * 2 ** 30,
  };
  const model: LayerSweepModel = {
    config,
    ffnKind: ffn.kind,
    expertSizes,
    router: { hidden: config.hidden, routerHidden: ROUTER_HIDDEN, experts: SIZES.length },
  };
  return { layered, model };
}

async function timed(work: () => Promise<unknown>): Promise<Timed> {
  const t = performance.now();
  const c = process.cpuUsage();
  await work();
  const cpu = process.cpuUsage(c);
  return { wall: (performance.now() - t) / 1000, cpu: (cpu.user + cpu.system) / 1e6 };
}

/** bare ÷ point per pair: tokens/s of the point over the bare forward's, by wall and by CPU seconds. */
function ratios(
  pairs: readonly { dense: Timed; routed: Timed; bare: Timed }[],
  point: 'dense' | 'routed',
): { wall: Spread; cpu: Spread } {
  return {
    wall: spread(pairs.map((p) => p.bare.wall / p[point].wall)),
    cpu: spread(pairs.map((p) => p.bare.cpu / p[point].cpu)),
  };
}

function spread(values: readonly number[]): Spread {
  const s = [...values].sort((x, y) => x - y);
  return { median: s[Math.floor((s.length - 1) / 2)]!, min: s[0]!, max: s[s.length - 1]! };
}

if (process.argv[1]?.endsWith('eval-throughput.ts')) {
  const [checkpoint, tokens, seq, pairs, sweep] = process.argv.slice(2);
  const result = await measureEvalThroughput({
    checkpoint: checkpoint!,
    tokens: Number(tokens ?? 512),
    seqLen: Number(seq ?? 256),
    pairs: Number(pairs ?? 3),
    sweep: sweep === 'sweep',
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
