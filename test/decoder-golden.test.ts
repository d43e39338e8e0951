/**
 * The exact dense decoder against Hugging Face transformers' float32 outputs: logits and every intermediate
 * (first mismatch names the layer), KV-cache decoding token by token, left padding, determinism, ONNX checker.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModelIR } from '../src/families/load.js';
import { resolveWeightDtype } from '../src/graph/weights.js';
import { writeDecoder } from '../src/graph/write-decoder.js';
import { emptyPast, pastFromPresent, tokenFeeds } from '../src/runtime/decoder-feeds.js';
import { createSession, run } from '../src/runtime/session.js';
import { readFloat32 } from '../src/runtime/tensors.js';
import {
  fixtureDir,
  forwardOrder,
  GOLDEN_CASES,
  maxAbsDiff,
  openReference,
  top1Agreement,
} from './support/golden.js';
import { checkOnnxModel } from './support/onnx-checker.js';

const TOL = 1e-4;
const root = mkdtempSync(join(tmpdir(), 'moefy-golden-'));
/** Per case, max |Δ| of the logits and of the worst tensor (logits and per-layer), full graph and KV cache. */
const DELTAS = new Map<string, Partial<Record<'full' | 'fullWorst' | 'cache' | 'cacheWorst', number>>>();
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  const e = (v: number | undefined) => (v === undefined ? '-' : v.toExponential(2));
  const rows = [...DELTAS].map(
    ([name, d]) =>
      `  ${name.padEnd(20)} ${e(d.full).padStart(9)} ${e(d.fullWorst).padStart(9)} ${e(d.cache).padStart(9)} ${e(d.cacheWorst).padStart(9)}`,
  );
  console.log(
    ['golden max |Δ| (logits, worst of all tensors): full graph | KV cache token by token', ...rows].join(
      '\n',
    ),
  );
});

async function exportCase(name: string, sub: string, withPast: boolean) {
  const ir = await loadModelIR(fixtureDir(name));
  const dir = mkdtempSync(join(root, `${name}-${sub}-`));
  // The dtype `moefy export` picks by default: the checkpoint's own (the bf16 case keeps its bf16 bytes).
  const dtype = resolveWeightDtype('auto', ir);
  const graph = await writeDecoder(ir, { dir, withPast, debugOutputs: true, dtype });
  checkOnnxModel(graph.modelPath);
  return { ir, graph, session: await createSession(graph.modelPath, { threads: 1 }) };
}

describe.each([...GOLDEN_CASES, 'kjv-llama'])('%s', (name) => {
  DELTAS.set(name, {});
  it('matches every reference tensor and the logits (≤ 1e-4, top-1 100%)', async () => {
    const ref = await openReference(fixtureDir(name));
    const { ir, session } = await exportCase(name, 'full', false);
    const out = await run(session, tokenFeeds({ ids: ref.ids }));
    const diffs: Record<string, number> = {};
    for (const tensor of forwardOrder(ir.config.numLayers).filter((t) => ref.names.has(t))) {
      diffs[tensor] = maxAbsDiff(readFloat32(out[tensor]!), await ref.read(tensor));
      expect(diffs[tensor], `first mismatch: ${tensor}`).toBeLessThanOrEqual(TOL);
    }
    const logits = readFloat32(out.logits!);
    expect(top1Agreement(logits, await ref.read('logits'), ir.config.vocabSize)).toBe(1);
    DELTAS.set(name, {
      ...DELTAS.get(name)!,
      full: diffs.logits!,
      fullWorst: Math.max(...Object.values(diffs)),
    });
  });

  it('decodes token by token with the KV cache: logits and every per-layer tensor at each position (≤ 1e-4)', async () => {
    const ref = await openReference(fixtureDir(name));
    const { ir, session } = await exportCase(name, 'past', true);
    const c = ir.config;
    const names = forwardOrder(c.numLayers).filter((t) => ref.names.has(t));
    const expected = Object.fromEntries(
      await Promise.all(names.map(async (t) => [t, await ref.read(t)] as const)),
    );
    const [batch, seq] = [ref.ids.length, ref.ids[0]!.length];
    let past = emptyPast({ layers: c.numLayers, kvHeads: c.numKvHeads, headDim: c.headDim }, batch);
    const worst: Record<string, number> = {};
    for (let t = 0; t < seq; t++) {
      const step = tokenFeeds({ ids: ref.ids.map((r) => [r[t]!]), past: t });
      const out = await run(session, { ...step, ...past });
      for (const tensor of names) {
        const got = readFloat32(out[tensor]!); // [batch, 1, width]
        const width = got.length / batch;
        for (let b = 0; b < batch; b++) {
          const want = expected[tensor]!.subarray((b * seq + t) * width, (b * seq + t + 1) * width);
          const diff = maxAbsDiff(got.subarray(b * width, (b + 1) * width), want);
          worst[tensor] = Math.max(worst[tensor] ?? 0, diff);
        }
      }
      past = pastFromPresent(out, c.numLayers);
    }
    for (const tensor of names) expect(worst[tensor], `first mismatch: ${tensor}`).toBeLessThanOrEqual(TOL);
    DELTAS.set(name, {
      ...DELTAS.get(name)!,
      cache: worst.logits!,
      cacheWorst: Math.max(...Object.values(worst)),
    });
  });

  it('two exports are byte-identical (graph and data)', async () => {
    const ir = await loadModelIR(fixtureDir(name));
    const [a, b] = [mkdtempSync(join(root, `${name}-det-a-`)), mkdtempSync(join(root, `${name}-det-b-`))];
    const ga = await writeDecoder(ir, { dir: a, withPast: true });
    const gb = await writeDecoder(ir, { dir: b, withPast: true });
    expect(readFileSync(ga.modelPath).equals(readFileSync(gb.modelPath))).toBe(true);
    expect(readFileSync(ga.dataPath).equals(readFileSync(gb.dataPath))).toBe(true);
  });
});

describe.each(['llama-gqa', 'gpt2', 'mistral-swa', 'gemma2'])('%s batching', (name) => {
  it('a left-padded row reproduces its unpadded logits', async () => {
    const ref = await openReference(fixtureDir(name));
    const expected = await ref.read('logits');
    const { ir, session } = await exportCase(name, 'pad', false);
    const V = ir.config.vocabSize;
    const [full, short] = [ref.ids[0]!, ref.ids[1]!.slice(0, 8)];
    const pad = full.length - short.length;
    const mask = [full.map(() => 1), [...new Array<number>(pad).fill(0), ...short.map(() => 1)]];
    const out = await run(
      session,
      tokenFeeds({ ids: [full, [...new Array<number>(pad).fill(0), ...short]], mask }),
    );
    const logits = readFloat32(out.logits!);
    const T = full.length;
    expect(maxAbsDiff(logits.subarray(0, T * V), expected.subarray(0, T * V))).toBeLessThanOrEqual(TOL);
    const padded = logits.subarray((T + pad) * V, 2 * T * V);
    expect(maxAbsDiff(padded, expected.subarray(T * V, (T + short.length) * V))).toBeLessThanOrEqual(TOL);
  });
});

// Sliding windows of 5: the chunk's queries reach back past the window into the cache.
describe.each(['llama-gqa', 'mistral-swa', 'gemma3-text'])('%s KV cache in chunks', (name) => {
  it('a prefill of 5 tokens then a chunk of 7 matches the full-sequence logits', async () => {
    const ref = await openReference(fixtureDir(name));
    const expected = await ref.read('logits');
    const { ir, session } = await exportCase(name, 'chunks', true);
    const c = ir.config;
    const V = c.vocabSize;
    const T = ref.ids[0]!.length;
    const past = emptyPast({ layers: c.numLayers, kvHeads: c.numKvHeads, headDim: c.headDim }, 2);
    const first = await run(session, { ...tokenFeeds({ ids: ref.ids.map((r) => r.slice(0, 5)) }), ...past });
    const rest = tokenFeeds({ ids: ref.ids.map((r) => r.slice(5)), past: 5 });
    const second = await run(session, { ...rest, ...pastFromPresent(first, c.numLayers) });
    const [a, b] = [readFloat32(first.logits!), readFloat32(second.logits!)];
    for (let row = 0; row < 2; row++) {
      const want = expected.subarray(row * T * V, (row + 1) * T * V);
      expect(
        maxAbsDiff(a.subarray(row * 5 * V, (row + 1) * 5 * V), want.subarray(0, 5 * V)),
      ).toBeLessThanOrEqual(TOL);
      expect(
        maxAbsDiff(b.subarray(row * 7 * V, (row + 1) * 7 * V), want.subarray(5 * V)),
      ).toBeLessThanOrEqual(TOL);
    }
  });
});

describe('export dtype', () => {
  it('a bf16 checkpoint kept as bf16 gives the logits of its float32 export, bit for bit, at half the bytes', async () => {
    const ir = await loadModelIR(fixtureDir('llama-sharded-bf16'));
    const ref = await openReference(fixtureDir('llama-sharded-bf16'));
    const logits = async (dtype: 'bfloat16' | 'float32') => {
      const dir = mkdtempSync(join(root, `bf16-${dtype}-`));
      const graph = await writeDecoder(ir, { dir, dtype });
      checkOnnxModel(graph.modelPath);
      const session = await createSession(graph.modelPath, { threads: 1 });
      const out = await run(session, tokenFeeds({ ids: ref.ids }));
      return { values: readFloat32(out.logits!), bytes: statSync(graph.dataPath).size };
    };
    const [kept, wide] = [await logits('bfloat16'), await logits('float32')];
    expect(maxAbsDiff(kept.values, wide.values)).toBe(0);
    expect(kept.bytes / wide.bytes).toBeGreaterThan(0.49);
    expect(kept.bytes / wide.bytes).toBeLessThan(0.55); // norms stay tiny either way
  });

  it('float16 weights give a valid graph close to float32', async () => {
    const ir = await loadModelIR(fixtureDir('llama-gqa'));
    const ref = await openReference(fixtureDir('llama-gqa'));
    const dir = mkdtempSync(join(root, 'f16-'));
    const graph = await writeDecoder(ir, { dir, dtype: 'float16' });
    checkOnnxModel(graph.modelPath);
    const out = await run(await createSession(graph.modelPath, { threads: 1 }), tokenFeeds({ ids: ref.ids }));
    const diff = maxAbsDiff(readFloat32(out.logits!), await ref.read('logits'));
    expect(diff).toBeGreaterThan(0);
    expect(diff).toBeLessThan(2e-2);
    console.log(`llama-gqa float16 weights: max |Δ| logits ${diff.toExponential(2)}`);
  });
});
