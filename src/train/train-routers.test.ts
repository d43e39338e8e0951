import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSafetensors } from '../checkpoint/safetensors-read.js';
import { routerForward } from '../router/forward.js';
import { type RouterWeights, initMlpRouter } from '../router/spec.js';
import { InputError, RuntimeSetupError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import { OPTIMIZER_FILE, ROUTERS_FILE } from './checkpoint.js';
import { splitRows } from './data.js';
import { readRouters } from './router-file.js';
import { trainRouters } from './train-routers.js';
import type { LayerRows, TrainRoutersOptions } from './types.js';

const root = mkdtempSync(join(tmpdir(), 'moefy-train-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = () => mkdtempSync(join(root, `run${dirs++}-`));

const DIMS = { d: 6, hidden: 8, outputs: 3 };
const N = 1200;

/** x ~ N(0, 1); targets from a known router per layer (or pure noise, which nothing can learn). */
function synthetic(opts: { layers: number; noise?: boolean }): {
  rows: LayerRows[];
  teachers: RouterWeights[];
} {
  const rng = new Rng(11);
  const teachers = Array.from({ length: opts.layers }, (_, l) => initMlpRouter({ ...DIMS, seed: 100 + l }));
  const rows = teachers.map((t) => {
    const x = Float32Array.from({ length: N * DIMS.d }, () => rng.normal());
    const z = opts.noise
      ? Float32Array.from({ length: N * DIMS.outputs }, () => rng.normal())
      : routerForward(t, x, N);
    return { x, z };
  });
  return { rows, teachers };
}

const students = (layers: number) =>
  Array.from({ length: layers }, (_, l) => initMlpRouter({ ...DIMS, seed: l }));

function mse(w: RouterWeights, rows: LayerRows, indices: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i]!;
    const p = routerForward(w, rows.x.subarray(r * DIMS.d, (r + 1) * DIMS.d), 1);
    p.forEach((v, k) => (sum += (v - rows.z[r * DIMS.outputs + k]!) ** 2));
  }
  return sum / (indices.length * DIMS.outputs);
}

function targetVariance(rows: LayerRows, indices: ArrayLike<number>): number {
  const values = Array.from(indices).flatMap((r) =>
    Array.from(rows.z.subarray(r * DIMS.outputs, (r + 1) * DIMS.outputs)),
  );
  const mean = values.reduce((a, v) => a + v, 0) / values.length;
  return values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length;
}

const bytes = (ws: RouterWeights[]) =>
  Buffer.concat(
    ws.flatMap((w) =>
      (w.kind === 'mlp' ? [w.w1, w.b1, w.w2, w.b2] : [w.w1, w.b1]).map((a) =>
        Buffer.from(a.buffer, a.byteOffset, a.byteLength),
      ),
    ),
  );

function base(): TrainRoutersOptions {
  const { rows } = synthetic({ layers: 2 });
  return {
    rows,
    init: students(2),
    steps: 24,
    batch: 64,
    lr: 1e-2,
    heldout: 0.2,
    evalEvery: 4,
    threads: 1,
    seed: 3,
  };
}

describe('trainRouters', () => {
  it('recovers a known router: held-out MSE falls to a small fraction of the target variance', async () => {
    const { rows } = synthetic({ layers: 2 });
    const { weights, summary } = await trainRouters({
      rows,
      init: students(2),
      steps: 400,
      batch: 128,
      lr: 2e-2,
      heldout: 0.2,
      evalEvery: 20,
      patience: 100,
      threads: 1,
    });
    const split = splitRows(N, 0.2, 0);
    weights.forEach((w, l) => {
      const variance = targetVariance(rows[l]!, split.heldout);
      expect(mse(w, rows[l]!, split.heldout)).toBeLessThan(0.03 * variance);
    });
    expect(summary).toMatchObject({ steps: 400, device: 'cpu' });
    // Reported on the held-out rows that did not pick the best step.
    expect(summary.final_heldout_loss).toBeCloseTo(
      (mse(weights[0]!, rows[0]!, split.report) + mse(weights[1]!, rows[1]!, split.report)) / 2,
      5,
    );
    expect(summary.tokens_per_s).toBeGreaterThan(0);
  });

  it('learns "expert k suffices" labels with the bce loss', async () => {
    const { rows } = synthetic({ layers: 1 });
    const labelled = rows.map(({ x, z }) => ({ x, z: z.map((v) => (v > 0 ? 1 : 0)) }));
    const { weights } = await trainRouters({
      rows: labelled,
      init: students(1),
      steps: 300,
      batch: 128,
      lr: 2e-2,
      loss: 'bce',
      heldout: 0,
      threads: 1,
    });
    const p = routerForward(weights[0]!, rows[0]!.x, N);
    const agree = p.filter((v, i) => (v > 0 ? 1 : 0) === labelled[0]!.z[i]).length;
    expect(agree / p.length).toBeGreaterThan(0.9);
  });

  it('splits rows into disjoint seeded training, selecting and reporting sets', () => {
    const a = splitRows(100, 0.25, 7);
    expect(a.heldout).toHaveLength(25);
    expect([a.select.length, a.report.length]).toEqual([13, 12]);
    expect(new Set([...a.select, ...a.report, ...a.train]).size).toBe(100);
    expect(Array.from(a.heldout)).toEqual([...a.select, ...a.report].sort((x, y) => x - y));
    expect(splitRows(100, 0.25, 7)).toEqual(a);
    expect(splitRows(100, 0.25, 8).heldout).not.toEqual(a.heldout);
  });

  it('with windows, holds out whole windows: no window both trains and measures', () => {
    const windows = Int32Array.from({ length: 120 }, (_, r) => Math.floor(r / 10)); // 12 windows of 10 rows
    const s = splitRows(120, 0.25, 3, windows);
    const of = (rows: Int32Array) => new Set(Array.from(rows, (r) => windows[r]!));
    expect(s.heldout).toHaveLength(30);
    expect([of(s.select).size, of(s.report).size]).toEqual([2, 1]);
    for (const w of of(s.train)) expect(of(s.heldout).has(w)).toBe(false);
    for (const w of of(s.select)) expect(of(s.report).has(w)).toBe(false);
    expect(new Set([...s.heldout, ...s.train]).size).toBe(120);
    expect(splitRows(120, 0.25, 3, windows)).toEqual(s);
  });

  it('stops early on unlearnable targets and returns the best held-out weights', async () => {
    const { rows } = synthetic({ layers: 1, noise: true });
    const progress: number[] = [];
    const { weights, summary } = await trainRouters({
      rows,
      init: students(1),
      steps: 500,
      batch: 64,
      lr: 5e-2,
      schedule: 'constant',
      heldout: 0.3,
      evalEvery: 5,
      patience: 3,
      threads: 1,
      onProgress: (p) => progress.push(p.step),
    });
    expect(summary.steps).toBeLessThan(500);
    expect(summary.steps).toBe(summary.best_step + 15);
    expect(progress.at(-1)).toBe(summary.steps);
    const { report } = splitRows(N, 0.3, 0);
    expect(mse(weights[0]!, rows[0]!, report)).toBeCloseTo(summary.final_heldout_loss!, 5);
  });

  it('is deterministic: the same seed gives identical weights, another seed different ones', async () => {
    const [a, b, c] = [
      await trainRouters(base()),
      await trainRouters(base()),
      await trainRouters({ ...base(), seed: 4 }),
    ];
    expect(bytes(a.weights).equals(bytes(b.weights))).toBe(true);
    expect(bytes(a.weights).equals(bytes(c.weights))).toBe(false);
  });

  it('resumes an interrupted run to the same bytes as an uninterrupted one', async () => {
    const [broken, whole] = [freshDir(), freshDir()];
    const crash = trainRouters({
      ...base(),
      checkpoint: { dir: broken, every: 5 },
      onProgress: (p) => {
        if (p.step === 13) throw new Error('simulated crash');
      },
    });
    await expect(crash).rejects.toThrow('simulated crash');
    const saved = await openSafetensors(join(broken, OPTIMIZER_FILE));
    expect(JSON.parse(saved.metadata.loop!)).toMatchObject({ step: 10 });
    const steps: number[] = [];
    const resumed = await trainRouters({
      ...base(),
      checkpoint: { dir: broken, every: 5 },
      onProgress: (p) => steps.push(p.step),
    });
    expect(steps[0]).toBe(11);
    const uninterrupted = await trainRouters({ ...base(), checkpoint: { dir: whole, every: 5 } });
    expect(bytes(resumed.weights).equals(bytes(uninterrupted.weights))).toBe(true);
    expect(resumed.summary.steps).toBe(24);
    expect(readFileSync(join(broken, ROUTERS_FILE)).equals(readFileSync(join(whole, ROUTERS_FILE)))).toBe(
      true,
    );
    expect(
      bytes((await readRouters(join(whole, ROUTERS_FILE))).weights).equals(bytes(uninterrupted.weights)),
    ).toBe(true);
  });

  it('refuses to resume a checkpoint written by another setup', async () => {
    const dir = freshDir();
    await trainRouters({ ...base(), steps: 5, checkpoint: { dir, every: 5 } });
    await expect(trainRouters({ ...base(), checkpoint: { dir, every: 5 } })).rejects.toThrow(
      new InputError(
        `${join(dir, OPTIMIZER_FILE)}: checkpoint was written by another training setup (steps 5 → 24); delete it to start over`,
      ),
    );
  });

  it('rejects bad options with InputErrors naming the field', async () => {
    await expect(trainRouters({ ...base(), steps: 0 })).rejects.toThrow(
      new InputError('router.train.steps: expected a positive integer, got 0'),
    );
    await expect(trainRouters({ ...base(), heldout: 1 })).rejects.toThrow(
      new InputError('router.train.heldout: expected a fraction in [0, 1), got 1'),
    );
    const rows = base().rows.map((r) => ({ ...r, z: r.z.subarray(1) }));
    await expect(trainRouters({ ...base(), rows })).rejects.toThrow(
      new InputError(`router training: layer 0 targets have ${N * 3 - 1} values, expected ${N}×3`),
    );
    await expect(trainRouters({ ...base(), groups: new Int32Array(5) })).rejects.toThrow(
      new InputError(`router training: 5 window ids for ${N} rows`),
    );
  });

  it('asks for the CUDA build of onnxruntime-node when the CUDA provider is missing', async () => {
    const attempt = trainRouters({ ...base(), device: 'cuda' }).then(
      () => null,
      (err: unknown) => err,
    );
    const err = await attempt;
    if (err === null) return; // a machine with the CUDA build and a GPU trains fine
    expect(err).toBeInstanceOf(RuntimeSetupError);
    expect((err as Error).message).toMatch(
      /CUDA execution provider unavailable.*ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules\/onnxruntime-node\/script\/install\.js/,
    );
  });
});
