/** `moefy export` as a real child process on a fixture: files, manifest, loadable graph, and --force semantics. */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emptyPast, pastFromPresent, tokenFeeds } from '../src/runtime/decoder-feeds.js';
import { createSession, run } from '../src/runtime/session.js';
import { readFloat32 } from '../src/runtime/tensors.js';
import { fixtureDir, maxAbsDiff, openReference } from './support/golden.js';
import { checkOnnxModel } from './support/onnx-checker.js';
import { runCli } from './support/cli.js';

const root = mkdtempSync(join(tmpdir(), 'moefy-export-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function moefy(...args: string[]) {
  return runCli(args, { env: { HF_HUB_OFFLINE: '1' } });
}

describe('moefy export', () => {
  const out = join(root, 'gpt2-onnx');

  it('writes model.onnx, its data and moefy.json; the graph loads and runs with a KV cache', async () => {
    const r = moefy('export', fixtureDir('gpt2'), '--out', out, '--with-past');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const carried = readdirSync(fixtureDir('gpt2')).filter((f) =>
      ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json'].includes(f),
    );
    expect(carried).toContain('config.json');
    expect(readdirSync(out).sort()).toEqual(
      ['model.onnx', 'model.onnx.data', 'moefy.json', 'onnx', ...carried].sort(),
    );
    expect(readdirSync(join(out, 'onnx')).sort()).toEqual(['model.onnx', 'model.onnx_data']);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'))['transformers.js_config']).toEqual({
      dtype: 'fp32',
      use_external_data_format: true,
    });
    expect(r.stdout).toContain(
      'checked: the same graph cut to its first 2 layers loaded in ONNX Runtime (cpu) and run on 4 tokens: ' +
        '4 × 256 finite logits\n',
    );
    expect(r.stdout).toContain('this export itself was not compared with transformers');
    expect(readdirSync(root).filter((f) => f.includes('.tmp-'))).toEqual([]);
    checkOnnxModel(join(out, 'model.onnx'));
    const manifest = JSON.parse(readFileSync(join(out, 'moefy.json'), 'utf8'));
    expect(manifest).toMatchObject({
      schema: 'moefy.manifest/1',
      kind: 'dense',
      dtype: 'float32',
      with_past: true,
    });
    expect(manifest.graphs[0].inputs).toContain('past_key_values.1.value');
    expect(manifest.graphs[0].outputs).toEqual([
      'logits',
      'present.0.key',
      'present.0.value',
      'present.1.key',
      'present.1.value',
    ]);
    const session = await createSession(join(out, 'model.onnx'));
    const res = await run(session, {
      ...tokenFeeds({ ids: [[1, 2, 3]] }),
      ...emptyPast({ layers: 2, kvHeads: 4, headDim: 16 }, 1),
    });
    expect(res.logits!.dims).toEqual([1, 3, 256]);
  });

  it('refuses an existing directory without --force (exit 2) and replaces it with --force', () => {
    const taken = join(root, 'taken');
    mkdirSync(taken);
    const r = moefy('export', fixtureDir('gpt2'), '--out', taken);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`moefy: ${taken}: already exists; pass --force to replace it\n`);
    const forced = moefy('export', fixtureDir('gpt2'), '--out', taken, '--force', '--dtype', 'float16');
    expect(forced.code).toBe(0);
    expect(JSON.parse(readFileSync(join(taken, 'moefy.json'), 'utf8')).dtype).toBe('float16');
  });

  it('rejects an unknown --dtype with exit 2 and writes nothing', () => {
    const target = join(root, 'bad-dtype');
    const r = moefy('export', fixtureDir('gpt2'), '--out', target, '--dtype', 'int8');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('moefy: --dtype: expected one of auto, float32, float16, bfloat16, got "int8"\n');
    expect(existsSync(target)).toBe(false);
  });
});

// Every family's graph is checked against the golden references in decoder-golden.test.ts (the code `export`
// runs); here the CLI itself on two family cases: Gemma 2 (bf16 kept, soft-caps, sliding layers) and Phi-4-mini
// (fused projections, partial rotary), full sequence and KV cache token by token.
describe.each(['gemma2', 'phi4-mini-partial'])('moefy export %s', (name) => {
  it.each([false, true])('with past %s: the graph gives the golden logits', async (withPast) => {
    const out = join(root, `${name}-${withPast}`);
    const r = moefy('export', fixtureDir(name), '--out', out, ...(withPast ? ['--with-past'] : []));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    checkOnnxModel(join(out, 'model.onnx'));
    const manifest = JSON.parse(readFileSync(join(out, 'moefy.json'), 'utf8'));
    const { layers, kv_heads: kvHeads, head_dim: headDim, vocab } = manifest.model;
    const ref = await openReference(fixtureDir(name));
    const expected = await ref.read('logits');
    const session = await createSession(join(out, 'model.onnx'), { threads: 1 });
    const cache = { layers, kvHeads, headDim };
    const got = new Float32Array(expected.length);
    if (!withPast) got.set(readFloat32((await run(session, tokenFeeds({ ids: ref.ids }))).logits!));
    let past = emptyPast(cache, 2);
    for (let t = 0; withPast && t < 12; t++) {
      const res = await run(session, {
        ...tokenFeeds({ ids: ref.ids.map((row) => [row[t]!]), past: t }),
        ...past,
      });
      const logits = readFloat32(res.logits!);
      for (let b = 0; b < 2; b++) got.set(logits.subarray(b * vocab, (b + 1) * vocab), (b * 12 + t) * vocab);
      past = pastFromPresent(res, layers);
    }
    expect(maxAbsDiff(got, expected)).toBeLessThanOrEqual(1e-4);
  });
});
