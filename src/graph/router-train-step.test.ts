import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkOnnxModel } from '../../test/support/onnx-checker.js';
import { writeModel } from '../onnx/builder.js';
import type { ModelProto } from '../onnx/proto.js';
import { type Feeds, type Session, createSession, run } from '../runtime/session.js';
import { float32Tensor, float64Tensor, readFloat32, readFloat64 } from '../runtime/tensors.js';
import { Rng } from '../util/random.js';
import { buildRouterForward } from './router-loss-graph.js';
import {
  LR_INPUT,
  PARAMS,
  type ParamKind,
  type RouterGraphShape,
  type RouterLoss,
  STEP_INPUT,
  batchName,
  layerLossName,
  momentName,
  paramDims,
  paramName,
  updatedName,
} from './router-train-io.js';
import { buildRouterTrainStep } from './router-train-step.js';

const dir = mkdtempSync(join(tmpdir(), 'moefy-router-graph-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SHAPE = { layers: 2, d: 3, hidden: 4, outputs: 2 } as const;
const ROWS = 5;
let files = 0;

async function open(model: ModelProto): Promise<Session> {
  const path = join(dir, `g${files++}.onnx`);
  writeModel(model, path);
  return createSession(path, { threads: 1 });
}

/** Random params, batch and targets (0/1 labels for bce) in float64, keyed by graph input name. */
function problem(loss: RouterLoss, seed: number): Map<string, { data: Float64Array; dims: number[] }> {
  const rng = new Rng(seed);
  const values = new Map<string, { data: Float64Array; dims: number[] }>();
  const put = (name: string, dims: number[], draw: () => number) =>
    values.set(name, { data: Float64Array.from({ length: dims.reduce((a, b) => a * b, 1) }, draw), dims });
  for (let l = 0; l < SHAPE.layers; l++) {
    for (const kind of PARAMS) put(paramName(l, kind), paramDims(SHAPE, kind), () => rng.normal() * 0.7);
    put(batchName(l, 'x'), [ROWS, SHAPE.d], () => rng.normal());
    const target = loss === 'mse' ? () => rng.normal() : () => (rng.next() < 0.5 ? 1 : 0);
    put(batchName(l, 'target'), [ROWS, SHAPE.outputs], target);
  }
  return values;
}

function feeds64(values: Map<string, { data: Float64Array; dims: number[] }>): Feeds {
  return Object.fromEntries([...values].map(([name, v]) => [name, float64Tensor(v.data, v.dims)]));
}

/** Feeds of one train step: the problem plus moments (zero unless given), step and lr. */
function stepFeeds(values: Map<string, { data: Float64Array; dims: number[] }>, extra: Feeds): Feeds {
  const feeds = feeds64(values);
  for (let l = 0; l < SHAPE.layers; l++) {
    for (const kind of PARAMS) {
      const n = values.get(paramName(l, kind))!.data.length;
      for (const m of ['m', 'v'] as const) {
        feeds[momentName(l, kind, m)] = float64Tensor(new Float64Array(n), paramDims(SHAPE, kind));
      }
    }
  }
  return { ...feeds, ...extra };
}

const scalar64 = (v: number) => float64Tensor(Float64Array.of(v), []);

/** With β1 = 0 and zero moments, the new first moment m' equals the gradient exactly. */
async function graphGradients(loss: RouterLoss, values: Map<string, { data: Float64Array; dims: number[] }>) {
  const spec = {
    ...SHAPE,
    loss,
    dtype: 'float64',
    weightDecay: 0,
    beta1: 0,
    beta2: 0.999,
    eps: 1e-8,
  } as const;
  const session = await open(buildRouterTrainStep(spec));
  const out = await run(session, stepFeeds(values, { [STEP_INPUT]: scalar64(1), [LR_INPUT]: scalar64(0) }));
  return (layer: number, kind: ParamKind) => readFloat64(out[updatedName(momentName(layer, kind, 'm'))]!);
}

async function finiteDifferences(
  shape: RouterGraphShape,
  values: Map<string, { data: Float64Array; dims: number[] }>,
) {
  const session = await open(buildRouterForward(shape));
  const h = 1e-5;
  return async (layer: number, kind: ParamKind): Promise<Float64Array> => {
    const { data } = values.get(paramName(layer, kind))!;
    const fd = new Float64Array(data.length);
    const lossAt = async () => readFloat64((await run(session, feeds64(values)))[layerLossName(layer)]!)[0]!;
    for (let i = 0; i < data.length; i++) {
      const keep = data[i]!;
      data[i] = keep + h;
      const plus = await lossAt();
      data[i] = keep - h;
      const minus = await lossAt();
      data[i] = keep;
      fd[i] = (plus - minus) / (2 * h);
    }
    return fd;
  };
}

describe('router train-step graph', () => {
  for (const loss of ['mse', 'bce'] as const) {
    it(`has ${loss} gradients equal to central finite differences of the forward graph`, async () => {
      const values = problem(loss, loss === 'mse' ? 1 : 2);
      const grad = await graphGradients(loss, values);
      const fd = await finiteDifferences({ ...SHAPE, loss, dtype: 'float64' }, values);
      for (let l = 0; l < SHAPE.layers; l++) {
        for (const kind of PARAMS) {
          const [g, n] = [grad(l, kind), await fd(l, kind)];
          expect(g.length).toBe(n.length);
          g.forEach((gi, i) => {
            const scale = Math.max(Math.abs(gi), Math.abs(n[i]!), 1e-6);
            expect(Math.abs(gi - n[i]!) / scale, `l${l}.${kind}[${i}]`).toBeLessThanOrEqual(1e-3);
          });
        }
      }
    });
  }

  it('applies AdamW with bias correction and decoupled decay on matrices only, as a JS reference', async () => {
    const values = problem('mse', 3);
    const grad = await graphGradients('mse', values);
    const hp = { weightDecay: 0.1, beta1: 0.9, beta2: 0.99, eps: 1e-8 };
    const [t, lr] = [3, 0.05];
    const rng = new Rng(4);
    const moments = new Map<string, Float64Array>();
    for (const [name, v] of values) {
      if (!/\.(w|b)[12]$/.test(name)) continue;
      moments.set(
        `${name}.m`,
        v.data.map(() => rng.normal() * 0.1),
      );
      moments.set(
        `${name}.v`,
        v.data.map(() => rng.next() * 0.01),
      );
    }
    const extra: Feeds = { [STEP_INPUT]: scalar64(t), [LR_INPUT]: scalar64(lr) };
    for (const [name, m] of moments) extra[name] = float64Tensor(m, values.get(name.slice(0, -2))!.dims);
    const session = await open(buildRouterTrainStep({ ...SHAPE, loss: 'mse', dtype: 'float64', ...hp }));
    const out = await run(session, stepFeeds(values, extra));
    for (let l = 0; l < SHAPE.layers; l++) {
      for (const kind of PARAMS) {
        const name = paramName(l, kind);
        const g = grad(l, kind);
        const decay = kind === 'w1' || kind === 'w2' ? hp.weightDecay : 0;
        const got = readFloat64(out[updatedName(name)]!);
        values.get(name)!.data.forEach((theta, i) => {
          const m = hp.beta1 * moments.get(`${name}.m`)![i]! + (1 - hp.beta1) * g[i]!;
          const v = hp.beta2 * moments.get(`${name}.v`)![i]! + (1 - hp.beta2) * g[i]! ** 2;
          const mHat = m / (1 - hp.beta1 ** t);
          const vHat = v / (1 - hp.beta2 ** t);
          const want = theta - lr * decay * theta - (lr * mHat) / (Math.sqrt(vHat) + hp.eps);
          expect(got[i]).toBeCloseTo(want, 10);
          expect(readFloat64(out[updatedName(`${name}.m`)]!)[i]).toBeCloseTo(m, 12);
          expect(readFloat64(out[updatedName(`${name}.v`)]!)[i]).toBeCloseTo(v, 12);
        });
      }
    }
  });

  it('runs in float32 and reports the mean of the layer losses', async () => {
    const values = problem('bce', 5);
    const shape = { ...SHAPE, loss: 'bce', dtype: 'float32' } as const;
    const feeds = Object.fromEntries(
      [...values].map(([name, v]) => [name, float32Tensor(Float32Array.from(v.data), v.dims)]),
    );
    const out = await run(await open(buildRouterForward(shape)), feeds);
    const [l0, l1] = [readFloat32(out['l0.loss']!)[0]!, readFloat32(out['l1.loss']!)[0]!];
    expect(l0).toBeGreaterThan(0);
    expect(readFloat32(out.loss!)[0]).toBeCloseTo((l0 + l1) / 2, 6);
  });

  it('passes the ONNX checker in both precisions and for both losses', () => {
    const adam = { weightDecay: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
    const models = {
      'step-f32-mse': buildRouterTrainStep({ ...SHAPE, loss: 'mse', dtype: 'float32', ...adam }),
      'step-f64-bce': buildRouterTrainStep({ ...SHAPE, loss: 'bce', dtype: 'float64', ...adam }),
      'fwd-f32-bce': buildRouterForward({ ...SHAPE, loss: 'bce', dtype: 'float32', predictions: true }),
      'fwd-f64-mse': buildRouterForward({ ...SHAPE, loss: 'mse', dtype: 'float64' }),
    };
    for (const [tag, model] of Object.entries(models)) {
      const path = join(dir, `check-${tag}.onnx`);
      writeModel(model, path);
      expect(() => checkOnnxModel(path)).not.toThrow();
    }
  });
});
