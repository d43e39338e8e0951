/**
 * Suite `train`: one router train step (forward, explicit backward, AdamW — src/graph/router-train-step.ts)
 * against the router forward+loss graph on the same batch (DESIGN.md §4: ≤ 4×), both fetched in full as the
 * training loop fetches them; and the training loop's own tokens/s (trainRouters on random rows).
 */
import {
  batchName,
  LR_INPUT,
  momentName,
  PARAMS,
  paramDims,
  paramName,
  type RouterGraphShape,
  STEP_INPUT,
} from '../src/graph/router-train-io.js';
import { initMlpRouter } from '../src/router/spec.js';
import { type Feeds, run } from '../src/runtime/session.js';
import { float32Tensor } from '../src/runtime/tensors.js';
import { closeTrainSessions, openTrainSessions } from '../src/train/sessions.js';
import { trainRouters } from '../src/train/train-routers.js';
import { Rng } from '../src/util/random.js';
import { type Figure, maxBudget, type SuiteResult } from './figures.js';
import { medianMs, round } from './timing.js';

const THREADS = 2;
const BATCH = 2048;
const ADAM = { weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
const SHAPES: readonly { label: string; shape: RouterGraphShape }[] = [
  {
    label: 'kjv-llama (4 layers, d=128)',
    shape: { layers: 4, d: 128, hidden: 64, outputs: 4, loss: 'mse', dtype: 'float32' },
  },
  {
    label: '1B-shaped (22 layers, d=2048)',
    shape: { layers: 22, d: 2048, hidden: 64, outputs: 4, loss: 'mse', dtype: 'float32' },
  },
];

export async function trainSuite(opts: { quick: boolean }): Promise<SuiteResult> {
  const shapes = opts.quick ? SHAPES.slice(0, 1) : SHAPES;
  const repeats = opts.quick ? 5 : 20;
  const figures: Figure[] = [];
  for (const { label, shape } of shapes) {
    figures.push(...(await stepVsForward(label, shape, repeats)));
    figures.push(await loopThroughput(label, shape, opts.quick ? 10 : 40));
  }
  return {
    suite: 'train',
    settings: {
      runtime: 'onnxruntime-node CPU EP',
      'intra-op threads': THREADS,
      batch: BATCH,
      router: 'mlp, hidden 64, K−1 = 4, mse, float32',
    },
    figures,
  };
}

async function stepVsForward(label: string, shape: RouterGraphShape, repeats: number): Promise<Figure[]> {
  const sessions = await openTrainSessions({ shape, adam: ADAM, device: 'cpu', threads: THREADS });
  try {
    const { step, loss } = feeds(shape);
    const timing = { warmup: 3, repeats };
    const stepMs = await medianMs(() => run(sessions.step, step), timing);
    const forwardMs = await medianMs(() => run(sessions.loss, loss), timing);
    return [
      { name: `${label}: train step`, value: round(stepMs, 2), unit: 'ms' },
      { name: `${label}: router forward + loss`, value: round(forwardMs, 2), unit: 'ms' },
      {
        name: `${label}: train step / forward`,
        value: round(stepMs / forwardMs, 2),
        unit: '×',
        budget: maxBudget(4, '≤ 4×'),
      },
    ];
  } finally {
    await closeTrainSessions(sessions);
  }
}

/** Feeds of the step graph (params, moments, batch, step, lr) and of the forward graph (params, batch). */
function feeds(shape: RouterGraphShape): { step: Feeds; loss: Feeds } {
  const rng = new Rng(3);
  const random = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
  const loss: Feeds = {};
  const state: Feeds = {};
  for (let l = 0; l < shape.layers; l++) {
    for (const kind of PARAMS) {
      const dims = paramDims(shape, kind);
      const n = dims.reduce((a, d) => a * d, 1);
      loss[paramName(l, kind)] = float32Tensor(
        random(n).map((v) => v * 0.05),
        dims,
      );
      state[momentName(l, kind, 'm')] = float32Tensor(new Float32Array(n), dims);
      state[momentName(l, kind, 'v')] = float32Tensor(new Float32Array(n), dims);
    }
    loss[batchName(l, 'x')] = float32Tensor(random(BATCH * shape.d), [BATCH, shape.d]);
    loss[batchName(l, 'target')] = float32Tensor(random(BATCH * shape.outputs), [BATCH, shape.outputs]);
  }
  const scalars = { [STEP_INPUT]: float32Tensor([1], []), [LR_INPUT]: float32Tensor([1e-3], []) };
  return { step: { ...loss, ...state, ...scalars }, loss };
}

async function loopThroughput(label: string, shape: RouterGraphShape, steps: number): Promise<Figure> {
  const rng = new Rng(4);
  const n = BATCH * 4;
  const rows = Array.from({ length: shape.layers }, () => ({
    x: Float32Array.from({ length: n * shape.d }, () => rng.normal()),
    z: Float32Array.from({ length: n * shape.outputs }, () => rng.normal()),
  }));
  const init = rows.map((_, l) =>
    initMlpRouter({ d: shape.d, hidden: shape.hidden, outputs: shape.outputs, seed: l }),
  );
  const result = await trainRouters({
    rows,
    init,
    steps,
    batch: BATCH,
    lr: 1e-3,
    heldout: 0,
    threads: THREADS,
    device: 'cpu',
  });
  return {
    name: `${label}: training loop throughput`,
    value: Math.round(result.summary.tokens_per_s),
    unit: 'tokens/s',
    note: `trainRouters, ${steps} steps of ${BATCH} rows, no held-out split; each row feeds every layer`,
  };
}
