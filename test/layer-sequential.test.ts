/**
 * The layer-sequential runner (src/pipeline) against the whole graph: on every golden case and kjv-llama, the
 * hidden states, FFN inputs and activations it produces layer by layer equal the whole graph's debug outputs
 * (≤ 1e-5), with the hidden states in RAM or spilled to disk (bit for bit the same either way) and the weights fed
 * as graph inputs (CPU) or stored as initializers (the CUDA path, run here on CPU). Convert's report,
 * measured layer by layer, matches `moefy eval` on the emitted whole graphs (perplexity within 1e-4 relative), and a
 * calibration killed mid-way resumes at the layer it stopped and writes the same bytes as an uninterrupted one.
 */
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cachedStage } from '../src/app/shared/stage-cache.js';
import { textWindows } from '../src/data/windows.js';
import { loadModelIR } from '../src/families/load.js';
import { buildLayerGraph } from '../src/graph/layer-graph.js';
import { DEBUG, HIDDEN_OUT, LAYER_DEBUG } from '../src/graph/names.js';
import { LOG_NORM_SCOPE } from '../src/graph/router-graph.js';
import { writeDecoder } from '../src/graph/write-decoder.js';
import type { ModelIR } from '../src/ir/model.js';
import { HiddenStates } from '../src/pipeline/hidden-states.js';
import {
  batchWindows,
  dtypeOf,
  embedAll,
  newHiddenStates,
  passBatches,
  type RunnerSetup,
} from '../src/pipeline/layer-runner.js';
import { partModel } from '../src/pipeline/float32-storage.js';
import { openPart } from '../src/pipeline/part-session.js';
import { tokenFeeds } from '../src/runtime/decoder-feeds.js';
import { createSession, run } from '../src/runtime/session.js';
import { readFloat32 } from '../src/runtime/tensors.js';
import { InternalError } from '../src/util/errors.js';
import { fixtureDir, GOLDEN_CASES, maxAbsDiff, openReference } from './support/golden.js';
import { convertKjv, FP32_ONLY, moefy, SMALL_EVAL } from './support/kjv-convert.js';

const TOL = 1e-5;
const root = mkdtempSync(join(tmpdir(), 'moefy-layerseq-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Per layer: FFN input, activation and output of every batch, concatenated in batch order. */
async function runLayered(ir: ModelIR, setup: RunnerSetup): Promise<Record<string, Float32Array>> {
  const hidden = newHiddenStates(setup, 'hidden');
  const got: Record<string, Float32Array[]> = {};
  const keep = (name: string, t: Float32Array) => (got[name] ??= []).push(t.slice());
  await embedAll(setup, hidden);
  for (const layer of ir.layers) {
    const part = await openPart(
      `layer.${layer.index}`,
      (data) =>
        buildLayerGraph(setup.ir, layer.index, {
          data,
          ...dtypeOf(setup),
          debugOutputs: true,
          activationOutputs: true,
        }),
      setup,
    );
    await passBatches(setup, part, hidden, {
      visit: (_, out) => {
        keep(DEBUG.mlpInput(layer.index), readFloat32(out[LAYER_DEBUG.mlpInput]!));
        keep(DEBUG.mlpAct(layer.index), readFloat32(out[LAYER_DEBUG.mlpAct]!));
        keep(DEBUG.layerOutput(layer.index), readFloat32(out[HIDDEN_OUT]!));
      },
    });
    await part.release();
  }
  expect(hidden.spilled).toBe(setup.memoryBudgetBytes === 0);
  hidden.release();
  return Object.fromEntries(
    Object.entries(got).map(([name, parts]) => {
      const all = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) {
        all.set(p, at);
        at += p.length;
      }
      return [name, all];
    }),
  );
}

describe.each([...GOLDEN_CASES, 'kjv-llama'])('%s layer by layer', (name) => {
  it('equals the whole graph’s per-layer outputs (≤ 1e-5), in RAM and spilled to disk alike, weights fed or stored', async () => {
    const ir = await loadModelIR(fixtureDir(name));
    const ref = await openReference(fixtureDir(name));
    const dir = mkdtempSync(join(root, `${name}-`));
    const graph = await writeDecoder(ir, { dir, debugOutputs: true, activationOutputs: true });
    const whole = await run(
      await createSession(graph.modelPath, { threads: 1 }),
      tokenFeeds({ ids: ref.ids }),
    );
    const seq = ref.ids[0]!.length;
    const windows = textWindows({ ids: ref.ids.flat(), seqLen: seq, maxTokens: ref.ids.flat().length });
    // One window per batch: the runner's batches must line up with the whole graph's rows.
    // As calibration sees the model: half-precision weights (gemma2 is bf16) as float32 storage, fed as inputs.
    const setup = {
      ir: partModel(ir, undefined),
      batches: batchWindows(windows, 1),
      dir,
      device: 'cpu' as const,
      threads: 1,
    };
    const inRam = await runLayered(ir, { ...setup, memoryBudgetBytes: Infinity });
    const spilled = await runLayered(ir, { ...setup, memoryBudgetBytes: 0 });
    // The CUDA path's parts (weights as initializers in a data file), run here on CPU.
    const initializers = await runLayered(ir, {
      ...setup,
      memoryBudgetBytes: Infinity,
      weights: 'initializers',
    });
    let worst = 0;
    for (const [output, values] of Object.entries(inRam)) {
      worst = Math.max(worst, maxAbsDiff(values, readFloat32(whole[output]!)));
      worst = Math.max(worst, maxAbsDiff(initializers[output]!, readFloat32(whole[output]!)));
      expect(spilled[output]).toEqual(values);
    }
    expect(worst).toBeLessThanOrEqual(TOL);
    // The runner cleans up after itself: only the whole graph's files remain.
    expect(readdirSync(dir).sort()).toEqual(['model.onnx', 'model.onnx.data']);
  });
});

describe('bf16 parts (the emitted dtype of a bf16 checkpoint, as evaluation runs them)', () => {
  it('take their weights as float32 inputs, widened exactly: the whole graph’s outputs, as with bf16 initializers', async () => {
    const ir = await loadModelIR(fixtureDir('gemma2'));
    const ref = await openReference(fixtureDir('gemma2'));
    const dir = mkdtempSync(join(root, 'bf16-'));
    const graph = await writeDecoder(ir, { dir, debugOutputs: true, activationOutputs: true });
    const whole = await run(
      await createSession(graph.modelPath, { threads: 1 }),
      tokenFeeds({ ids: ref.ids }),
    );
    const seq = ref.ids[0]!.length;
    const windows = textWindows({ ids: ref.ids.flat(), seqLen: seq, maxTokens: ref.ids.flat().length });
    const setup = {
      ir: partModel(ir, 'bfloat16'),
      dtype: 'bfloat16' as const,
      batches: batchWindows(windows, 1),
      dir,
      device: 'cpu' as const,
      threads: 1,
      memoryBudgetBytes: Infinity,
    };
    const fed = await runLayered(ir, setup);
    const stored = await runLayered(ir, { ...setup, weights: 'initializers' });
    let worst = 0;
    for (const [output, values] of Object.entries(fed)) {
      worst = Math.max(worst, maxAbsDiff(values, readFloat32(whole[output]!)));
      worst = Math.max(worst, maxAbsDiff(stored[output]!, readFloat32(whole[output]!)));
    }
    expect(worst).toBeLessThanOrEqual(TOL);
  });
});

describe('hidden-state buffers', () => {
  it('a snapshot restores every batch; a wrong batch size and a short snapshot are InternalErrors', () => {
    const dir = mkdtempSync(join(root, 'snap-'));
    const layout = { batches: [2, 1], seqLen: 3, hidden: 4 };
    const a = new HiddenStates(layout, { dir, name: 'a', budgetBytes: 0 });
    a.set(
      0,
      Float32Array.from({ length: 24 }, (_, i) => i),
    );
    a.set(
      1,
      Float32Array.from({ length: 12 }, (_, i) => -i),
    );
    a.snapshot(join(dir, 'snap.f32'));
    const b = new HiddenStates(layout, { dir, name: 'b', budgetBytes: Infinity });
    b.restore(join(dir, 'snap.f32'));
    expect(b.get(0)).toEqual(a.get(0));
    expect(b.get(1)).toEqual(a.get(1));
    expect(() => b.set(1, new Float32Array(5))).toThrow(
      new InternalError('hidden states: batch 1 has 5 values, expected 12'),
    );
    writeFileSync(join(dir, 'short.f32'), new Uint8Array(8));
    expect(() => b.restore(join(dir, 'short.f32'))).toThrow(
      new InternalError(`${join(dir, 'short.f32')}: hidden-state snapshot ends early at batch 0`),
    );
    const c = new HiddenStates(layout, { dir, name: 'c', budgetBytes: Infinity });
    expect(() => c.get(0)).toThrow(new InternalError('hidden states: batch 0 was never set'));
  });
});

describe('convert measured layer by layer', () => {
  it('reports the perplexities `moefy eval` measures on the whole graphs, fp32 and q4 (within 1e-4 relative), with the router reading log‖r‖', () => {
    // The recipe default output.dtypes [fp32, q4]: q4 is measured layer by layer too, built in 4 bits. The routers
    // read x and log‖r‖ (router.input): the layer parts and every routing graph must compute the same feature.
    const out = convertKjv(
      mkdtempSync(join(root, 'eval-')),
      'router: { input: normed+log_norm }',
      'recipe default',
    );
    expectLogNormInRoutingGraphs(out);
    type P = {
      kind: string;
      threshold: number | null;
      expert: number | null;
      perplexity: number;
      ffn_fraction: number;
    };
    type R = { points: P[]; precisions: { dtype: string; points: P[] }[] };
    const read = () => JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as R;
    const layered = read();
    const r = moefy(['eval', out, '--no-latency', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const whole = read();
    const same = (a: P[], b: P[], what: string) => {
      expect(a.map((p) => [p.kind, p.threshold, p.expert])).toEqual(
        b.map((p) => [p.kind, p.threshold, p.expert]),
      );
      a.forEach((p, i) => {
        const w = b[i]!;
        const label = `${what} ${p.kind} ${p.threshold ?? p.expert}`;
        expect(Math.abs(p.perplexity / w.perplexity - 1), label).toBeLessThan(1e-4);
        expect(Math.abs(p.ffn_fraction - w.ffn_fraction), label).toBeLessThan(1e-3);
      });
    };
    same(layered.points, whole.points, 'fp32');
    const dense = (ps: P[]) => ps.find((p) => p.kind === 'dense')!.perplexity;
    const zero = layered.points.find((p) => p.kind === 'learned' && p.threshold === 0)!;
    expect(Math.abs(zero.perplexity / dense(layered.points) - 1)).toBeLessThan(1e-4); // threshold 0 = dense
    expect(layered.precisions.map((p) => p.dtype)).toEqual(['q4']);
    expect(layered.precisions[0]!.points.map((p) => p.kind)).toEqual([
      'dense',
      ...SWEPT.map(() => 'learned'),
    ]);
    same(layered.precisions[0]!.points, whole.precisions[0]!.points, 'q4');
    // 4 bits move the dense perplexity: the q4 pass really ran in q4, not fp32 under another name.
    expect(dense(layered.precisions[0]!.points)).not.toBe(dense(layered.points));
  }, 600_000);
});

/**
 * Every graph that routes by the router (`moe`, `moe_fixed`, the transformers.js graph, in every precision) holds the
 * log‖r‖ feature's nodes; the graphs that take their choices elsewhere (input, oracle) and the dense ones do not.
 */
function expectLogNormInRoutingGraphs(out: string): void {
  type G = { role: string; file: string; dtype: string };
  const m = JSON.parse(readFileSync(join(out, 'moefy.json'), 'utf8')) as {
    graphs: G[];
    router: { input: string };
  };
  expect(m.router.input).toBe('normed+log_norm');
  const routing = new Set(['moe', 'moe_fixed', 'transformers_js']);
  expect(new Set(m.graphs.map((g) => g.dtype))).toEqual(new Set(['fp32', 'q4']));
  expect(m.graphs.filter((g) => routing.has(g.role))).toHaveLength(6);
  for (const g of m.graphs) {
    const has = readFileSync(join(out, g.file)).includes(LOG_NORM_SCOPE);
    expect(has, `${g.file} (${g.role}, ${g.dtype})`).toBe(routing.has(g.role));
  }
}

/** The thresholds SMALL_EVAL sweeps (the fixed threshold, 0.075 by default, among them). */
const SWEPT = [0, 0.05, 0.075, 0.2, 0.5];

const repo = fileURLToPath(new URL('../', import.meta.url));

describe('calibration resume', () => {
  it('killed after a layer, a rerun resumes at the next layer and writes the uninterrupted bytes', async () => {
    const kjv = fixtureDir('kjv-llama');
    const dir = mkdtempSync(join(root, 'resume-'));
    const recipe = join(dir, 'r.yaml');
    writeFileSync(
      recipe,
      `calibration: { text: ${kjv}/calibration.txt, tokens: 16384, seq_len: 128, rows_per_layer: 1024 }\n` +
        `router: { kind: ridge }\n${SMALL_EVAL}\n${FP32_ONLY}\n`,
    );
    const convertArgs = (out: string) => ['convert', kjv, '--recipe', recipe, '--out', join(dir, out)];
    const cache = join(dir, 'cache');
    // A real convert process, SIGKILLed (no cleanup runs) once its first layer's file is on disk.
    const child = spawn(
      process.execPath,
      [
        '--import',
        join(repo, 'node_modules/tsx/dist/loader.mjs'),
        join(repo, 'src/bin.ts'),
        ...convertArgs('killed'),
      ],
      { env: { ...process.env, MOEFY_CACHE_DIR: cache, HF_HUB_OFFLINE: '1', CI: 'true' }, stdio: 'ignore' },
    );
    const finishedLayers = () => {
      const parent = join(cache, 'calibrate');
      const work = existsSync(parent) ? readdirSync(parent).find((f) => f.startsWith('.layers-')) : undefined;
      return work
        ? readdirSync(join(parent, work)).filter((f) => /^layer\.\d+\.safetensors$/.test(f)).length
        : 0;
    };
    await new Promise<void>((done) => {
      const poll = setInterval(() => {
        if (finishedLayers() > 0) child.kill('SIGKILL');
      }, 5);
      child.on('exit', () => (clearInterval(poll), done()));
    });
    const finished = finishedLayers();
    expect(finished).toBeGreaterThan(0);
    expect(finished).toBeLessThan(4);
    const resumed = moefy(convertArgs('out'), { MOEFY_CACHE_DIR: cache });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`resuming at layer ${finished}`);
    // The fresh run also keeps its cache under a cap: an old entry of another model goes (least recently used),
    // the run's own entries (read again by later stages) stay, and the output is the same.
    const stale = await cachedStage({
      root: join(dir, 'cache2'),
      stage: 'calibrate',
      label: 'org/stale',
      inputs: { stale: true },
      produce: async (d) => writeFileSync(join(d, 'data.bin'), new Uint8Array(64 * 1024)),
    });
    utimesSync(
      join(stale.dir, '.complete'),
      new Date(Date.now() - 86_400_000),
      new Date(Date.now() - 86_400_000),
    );
    const fresh = moefy(convertArgs('fresh'), {
      MOEFY_CACHE_DIR: join(dir, 'cache2'),
      MOEFY_CACHE_MAX_GB: String(16_384 / 2 ** 30),
    });
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(fresh.stderr).not.toContain('resuming');
    expect(fresh.stderr).toMatch(/cache: removed 1 least recently used entry \(0\.00 GB\) to stay under/);
    expect(existsSync(stale.dir)).toBe(false);
    const calibration = (c: string) => {
      const parent = join(dir, c, 'calibrate');
      const key = readdirSync(parent).find((f) => !f.startsWith('.'))!;
      return readFileSync(join(parent, key, 'calibration.safetensors'));
    };
    expect(calibration('cache').equals(calibration('cache2'))).toBe(true);
    // The adapted experts are fitted in the same pass, layer by layer: the resumed run's equal the fresh run's.
    const adapted = (c: string, i: number) => {
      const parent = join(dir, c, 'calibrate');
      const key = readdirSync(parent).find((f) => !f.startsWith('.'))!;
      return readFileSync(join(parent, key, 'adapt', `adapt.${i}.safetensors`));
    };
    for (let i = 0; i < 4; i++)
      expect(adapted('cache', i).equals(adapted('cache2', i)), `layer ${i}`).toBe(true);
    // The finished stage leaves no per-layer work behind.
    expect(readdirSync(join(cache, 'calibrate')).filter((f) => f.startsWith('.layers-'))).toEqual([]);
    expect(
      readFileSync(join(dir, 'out', 'model.onnx.data')).equals(
        readFileSync(join(dir, 'fresh', 'model.onnx.data')),
      ),
    ).toBe(true);
  }, 900_000);
});
