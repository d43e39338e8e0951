/**
 * `moefy convert` end to end as a real child process: the kjv-llama MoE model (files, checker, determinism, the
 * threshold → compute curve). Every golden case through convert: test/families.test.ts.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyPast, tokenFeeds } from '../src/runtime/decoder-feeds.js';
import { createSession, run, type Session } from '../src/runtime/session.js';
import { float32Tensor, readFloat32, readInt64 } from '../src/runtime/tensors.js';
import { fixtureDir, maxAbsDiff, openReference } from './support/golden.js';
import { FP32_ONLY, SMALL_EVAL } from './support/kjv-convert.js';
import { checkOnnxModel } from './support/onnx-checker.js';
import { runCli } from './support/cli.js';

const root = mkdtempSync(join(tmpdir(), 'moefy-convert-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function moefy(args: string[], cache: string) {
  return runCli(args, { env: { MOEFY_CACHE_DIR: cache, HF_HUB_OFFLINE: '1', CI: 'true' } });
}

function recipe(name: string, extra = ''): string {
  const path = join(root, `${name}.yaml`);
  writeFileSync(
    path,
    `calibration: { text: ${fixtureDir('kjv-llama')}/calibration.txt, tokens: 8192, seq_len: 128, rows_per_layer: 2048 }
router: { kind: ridge }
${SMALL_EVAL}
${FP32_ONLY}
${extra}`,
  );
  return path;
}

async function logitsAt(
  session: Session,
  ids: number[][],
  layers: number,
  kv: { kvHeads: number; headDim: number },
  threshold: number,
) {
  const out = await run(session, {
    ...tokenFeeds({ ids }),
    ...emptyPast({ layers, ...kv }, ids.length),
    router_threshold: float32Tensor([threshold], []),
  });
  return { logits: readFloat32(out.logits!), experts: readInt64(out.expert_index!) };
}

describe('moefy convert on kjv-llama', () => {
  const out = join(root, 'kjv');
  const kjvRecipe = recipe('kjv');
  let first: ReturnType<typeof moefy>;

  beforeAll(() => {
    first = moefy(
      ['convert', fixtureDir('kjv-llama'), '--recipe', kjvRecipe, '--out', out],
      join(root, 'cache-a'),
    );
  });

  it('writes the MoE graphs, dense baseline, routers and manifest; the checker accepts every graph', () => {
    expect(first.stderr).not.toMatch(/error/i);
    expect(first.code).toBe(0);
    const files = readdirSync(out).sort();
    for (const f of [
      'model.onnx',
      'model.onnx.data',
      'model_choice.onnx',
      'model_fixed.onnx',
      'dense.onnx',
      'routers.safetensors',
      'moefy.json',
      'tokenizer.json',
      'config.json',
    ]) {
      expect(files).toContain(f);
    }
    for (const f of files.filter((f) => f.endsWith('.onnx'))) checkOnnxModel(join(out, f));
    const manifest = JSON.parse(readFileSync(join(out, 'moefy.json'), 'utf8'));
    expect(manifest.experts.sizes).toEqual([64, 128, 256, 384, 512]);
    expect(manifest.experts.permutation_digests).toHaveLength(4);
    // The per-layer probe graphs are scratch: the targets entry keeps only its result.
    const targets = join(root, 'cache-a', 'targets');
    for (const key of readdirSync(targets).filter((k) => !k.startsWith('.')))
      expect(readdirSync(join(targets, key)).sort(), key).toEqual(['.complete', 'targets.safetensors']);
  });

  it('gives byte-identical graphs and routers from a fresh cache (same recipe and seed)', () => {
    const again = join(root, 'kjv-again');
    const r = moefy(
      ['convert', fixtureDir('kjv-llama'), '--recipe', kjvRecipe, '--out', again],
      join(root, 'cache-b'),
    );
    expect(r.code).toBe(0);
    for (const f of [
      'model.onnx',
      'model.onnx.data',
      'model_choice.onnx',
      'model_fixed.onnx',
      'dense.onnx',
      'dense.onnx.data',
      'routers.safetensors',
    ]) {
      expect(readFileSync(join(again, f)).equals(readFileSync(join(out, f))), f).toBe(true);
    }
  });

  it('resumes from the stage cache and refuses an existing output without --force', () => {
    const r = moefy(
      ['convert', fixtureDir('kjv-llama'), '--recipe', kjvRecipe, '--out', out],
      join(root, 'cache-a'),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/already exists; pass --force/);
    const forced = moefy(
      ['convert', fixtureDir('kjv-llama'), '--recipe', kjvRecipe, '--out', out, '--force'],
      join(root, 'cache-a'),
    );
    expect(forced.code).toBe(0);
    expect(forced.stderr).toMatch(/\[calibrate\] done .*from cache/);
    expect(forced.stderr).toMatch(/\[targets\] done .*from cache/);
  });

  it('threshold 0 reproduces the reference logits; compute falls with the threshold over several expert sizes', async () => {
    const ref = await openReference(fixtureDir('kjv-llama'));
    const session = await createSession(join(out, 'model.onnx'));
    const kv = { kvHeads: 4, headDim: 32 };
    const dense = await logitsAt(session, ref.ids, 4, kv, 0);
    expect(maxAbsDiff(dense.logits, await ref.read('logits'))).toBeLessThan(1e-4);
    expect(new Set(dense.experts)).toEqual(new Set([4]));

    const text = readFileSync(join(fixtureDir('kjv-llama'), 'eval.txt'));
    const ids = Array.from({ length: 8 }, (_, r) => Array.from(text.subarray(r * 128, (r + 1) * 128)));
    const sizes = [64, 128, 256, 384, 512];
    const fractions: number[] = [];
    const spreads: number[] = [];
    for (const t of [0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.6, 1]) {
      const { experts } = await logitsAt(session, ids, 4, kv, t);
      const hist = sizes.map((_, k) => experts.filter((e) => e === k).length / experts.length);
      fractions.push(experts.reduce((s, e) => s + sizes[e]! / 512, 0) / experts.length);
      spreads.push(hist.filter((h) => h >= 0.05).length);
    }
    for (let i = 1; i < fractions.length; i++) expect(fractions[i]).toBeLessThanOrEqual(fractions[i - 1]!);
    const nearHalf = fractions.reduce(
      (best, f, i) => (Math.abs(f - 0.5) < Math.abs(fractions[best]! - 0.5) ? i : best),
      0,
    );
    expect(Math.abs(fractions[nearHalf]! - 0.5)).toBeLessThan(0.15);
    expect(spreads[nearHalf]).toBeGreaterThanOrEqual(3);
  });
});

describe('moefy convert with the trained MLP router (the default kind)', () => {
  it('trains on ORT, records the summary, and beats the closed-form router on held-out rows', () => {
    const out = join(root, 'kjv-mlp');
    const mlp = join(root, 'mlp.yaml');
    writeFileSync(
      mlp,
      `calibration: { text: ${fixtureDir('kjv-llama')}/calibration.txt, tokens: 16384, seq_len: 128, rows_per_layer: 4096 }
router: { kind: mlp, train: { steps: 200, batch: 512 } }
${SMALL_EVAL}
${FP32_ONLY}
`,
    );
    const r = moefy(
      ['convert', fixtureDir('kjv-llama'), '--recipe', mlp, '--out', out],
      join(root, 'cache-mlp'),
    );
    expect(r.code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, 'moefy.json'), 'utf8'));
    expect(manifest.router.kind).toBe('mlp');
    expect(manifest.router.train).toMatchObject({ device: 'cpu', steps: expect.any(Number) });
    const ridge = manifest.router.fit.ridge_mean_heldout_mse as number;
    const trained = manifest.router.train.final_heldout_loss as number;
    expect(trained).toBeGreaterThan(0);
    expect(trained).toBeLessThan(ridge);
  });
});
