/**
 * Phi-3 longrope (Phi-3.5-mini / Phi-4-mini): no golden case has it, so a synthetic checkpoint (original length 8,
 * partial rotary 0.75) is compared with an independent float64 decoder written from the documented formulas
 * (test/support/reference-decoder.ts), itself first checked against the golden references. What transformers does,
 * and what is checked here:
 * - one forward pass picks the short or long factors from its own length (largest position + 1): the full graph;
 * - a forward pass with a KV cache rotates only its new tokens; cached keys keep the factors they were computed with:
 *   the cache graph, run token by token across the original length;
 * - generate() drops the cache once, when the sequence first grows past the original length, and recomputes it
 *   (Phi-3's prepare_inputs_for_generation): moefy's decode loop with `recomputePast`, whose every step then equals a
 *   fresh forward pass over the sequence so far.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decode } from '../src/app/generate/decode-loop.js';
import { argmax } from '../src/app/generate/sampling.js';
import { loadModelIR } from '../src/families/load.js';
import { writeDecoder } from '../src/graph/write-decoder.js';
import type { ModelIR } from '../src/ir/model.js';
import { emptyPast, pastFromPresent, tokenFeeds } from '../src/runtime/decoder-feeds.js';
import { createSession, run, type Session } from '../src/runtime/session.js';
import { readFloat32 } from '../src/runtime/tensors.js';
import { fixtureDir, maxAbsDiff, openReference } from './support/golden.js';
import { LONGROPE, writeLongropeCheckpoint } from './support/longrope-checkpoint.js';
import { checkOnnxModel } from './support/onnx-checker.js';
import { ReferenceDecoder } from './support/reference-decoder.js';

const TOL = 1e-4;
const root = mkdtempSync(join(tmpdir(), 'moefy-longrope-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** 12 tokens: positions 0..11 cross the original length 8. */
const IDS = [72, 101, 108, 108, 111, 32, 119, 111, 114, 108, 100, 33];

function diff64(a: Float32Array, b: Float64Array): number {
  return maxAbsDiff(a, Float32Array.from(b));
}

describe('the float64 reference decoder', () => {
  it.each(['llama-gqa', 'phi3', 'phi4-mini-partial', 'mistral-swa'])(
    'reproduces the %s golden logits',
    async (name) => {
      const ref = await openReference(fixtureDir(name));
      const expected = await ref.read('logits');
      const model = await ReferenceDecoder.open(fixtureDir(name));
      const V = model.config.vocab;
      let worst = 0;
      ref.ids.forEach((row, b) => {
        model.reset();
        model.forward(row).forEach((logits, t) => {
          const at = (b * row.length + t) * V;
          worst = Math.max(worst, diff64(expected.subarray(at, at + V), logits));
        });
      });
      expect(worst).toBeLessThanOrEqual(1e-5);
    },
  );
});

describe('longrope', () => {
  let dir: string;
  let ir: ModelIR;
  let reference: ReferenceDecoder;
  let incremental: ReferenceDecoder;
  let full: Session;
  let cached: Session;
  beforeAll(async () => {
    dir = await writeLongropeCheckpoint(join(root, 'phi3-longrope'));
    ir = await loadModelIR(dir);
    reference = await ReferenceDecoder.open(dir);
    incremental = await ReferenceDecoder.open(dir);
    const a = await writeDecoder(ir, { dir, fileName: 'full.onnx' });
    const b = await writeDecoder(ir, { dir, fileName: 'past.onnx', withPast: true });
    for (const g of [a, b]) checkOnnxModel(g.modelPath);
    full = await createSession(a.modelPath, { threads: 1 });
    cached = await createSession(b.modelPath, { threads: 1 });
  });

  /** Fresh float64 forward pass over `ids`: every position's logits. */
  const fresh = (ids: readonly number[]) => {
    reference.reset();
    return reference.forward(ids);
  };

  it('reads the scaling: short/long factors, original length, attention factor √(1 + ln 4 / ln 8)', () => {
    expect(ir.positions).toMatchObject({
      kind: 'rope',
      rotaryDim: 6,
      scaling: {
        type: 'longrope',
        shortFactor: LONGROPE.shortFactor,
        longFactor: LONGROPE.longFactor,
        originalMaxPositions: 8,
        attentionFactor: Math.sqrt(1 + Math.log(4) / Math.log(8)),
      },
    });
  });

  it('one forward pass takes the short factors up to the original length and the long ones past it', async () => {
    let worst = 0;
    for (const length of [5, 8, 9, 12]) {
      const ids = IDS.slice(0, length);
      const out = readFloat32((await run(full, tokenFeeds({ ids: [ids] }))).logits!);
      const V = LONGROPE.vocab;
      fresh(ids).forEach(
        (row, t) => (worst = Math.max(worst, diff64(out.subarray(t * V, (t + 1) * V), row))),
      );
    }
    expect(worst).toBeLessThanOrEqual(TOL);
    console.log(`longrope full graph (5, 8, 9, 12 tokens) vs float64: max |Δ| ${worst.toExponential(2)}`);
    // The switch matters: the first 8 positions' logits differ between an 8- and a 9-token pass.
    const [short, long] = [fresh(IDS.slice(0, 8)), fresh(IDS.slice(0, 9))];
    expect(Math.max(...short.map((row, t) => diff64(Float32Array.from(row), long[t]!)))).toBeGreaterThan(
      0.05,
    );
  });

  it('the cache graph rotates only new tokens with the factors of their pass (transformers’ forward with a cache)', async () => {
    incremental.reset();
    let past = emptyPast({ layers: 2, kvHeads: LONGROPE.kvHeads, headDim: LONGROPE.headDim }, 1);
    let worst = 0;
    let fromFresh = 0;
    for (let t = 0; t < IDS.length; t++) {
      const out = await run(cached, { ...tokenFeeds({ ids: [[IDS[t]!]], past: t }), ...past });
      const logits = readFloat32(out.logits!);
      worst = Math.max(worst, diff64(logits, incremental.forward([IDS[t]!])[0]!));
      if (t >= LONGROPE.original)
        fromFresh = Math.max(fromFresh, diff64(logits, fresh(IDS.slice(0, t + 1)).at(-1)!));
      past = pastFromPresent(out, 2);
    }
    expect(worst).toBeLessThanOrEqual(TOL);
    console.log(
      `longrope cache graph token by token vs float64 forward with a cache: max |Δ| ${worst.toExponential(2)}`,
    );
    // Past the original length, cached short-factor keys make this differ from a fresh pass: hence the recompute.
    expect(fromFresh).toBeGreaterThan(0.05);
  });

  it('decoding recomputes the cache when the sequence first passes the original length, as transformers’ generate', async () => {
    const prompt = IDS.slice(0, 5);
    const steps: Float32Array[] = [];
    const pick = (logits: Float32Array) => (steps.push(logits.slice()), argmax(logits));
    const cache = { layers: 2, kvHeads: LONGROPE.kvHeads, headDim: LONGROPE.headDim };
    const r = await decode({ session: cached, cache, prompt, maxNewTokens: 8, pick, recomputePast: 8 });
    const sequence = [...prompt, ...r.tokens];
    let worst = 0;
    steps.forEach((logits, k) => {
      worst = Math.max(worst, diff64(logits, fresh(sequence.slice(0, prompt.length + k)).at(-1)!));
    });
    expect(r.tokens).toHaveLength(8); // prefix lengths 5..12: the recompute happened at 9
    expect(worst).toBeLessThanOrEqual(TOL);
    console.log(
      `longrope decode with the recompute vs fresh float64 passes: max |Δ| ${worst.toExponential(2)}`,
    );
  });
});
