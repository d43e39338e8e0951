/**
 * Every family through the whole pipeline, with `moefy convert` as a real child process on each golden checkpoint
 * (and the synthetic longrope Phi-3): the MoE graph at threshold 0 reproduces the transformers logits (full sequence
 * and token by token with the KV cache), the ONNX checker accepts every graph written, the evaluation wrote its
 * report, `generate` at threshold 0 decodes as the dense graph does, and transformers.js loads the `onnx/` layout
 * offline and generates the same greedy tokens as our loop over the same graph.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { AutoModelForCausalLM, env, Tensor as TjsTensor } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decode } from '../src/app/generate/decode-loop.js';
import { generate } from '../src/app/generate/generate.js';
import { argmax } from '../src/app/generate/sampling.js';
import { emptyPast, pastFromPresent, tokenFeeds } from '../src/runtime/decoder-feeds.js';
import { createSession, releaseSession, run, type Session } from '../src/runtime/session.js';
import { float32Tensor, readFloat32, readInt64 } from '../src/runtime/tensors.js';
import { runCli } from './support/cli.js';
import { fixtureDir, GOLDEN_CASES, maxAbsDiff, openReference } from './support/golden.js';
import { SMALL_EVAL } from './support/kjv-convert.js';
import { LONGROPE, writeLongropeCheckpoint } from './support/longrope-checkpoint.js';
import { checkOnnxModel } from './support/onnx-checker.js';
import { ReferenceDecoder } from './support/reference-decoder.js';

const TOL = 1e-4;
const root = mkdtempSync(join(tmpdir(), 'moefy-families-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const LONGROPE_CASE = 'phi3-longrope';
/** Two byte-level rows; the longrope model's second row crosses its original length of 8. */
const IDS = [
  [0, 17, 42, 99, 17, 200, 5, 42, 128, 255, 3, 63],
  [72, 101, 108, 108, 111, 32, 119, 111, 114, 108, 100, 33],
];

/** Windows as long as the model allows, up to 128 (the longrope checkpoint has 32 positions). */
function recipe(seqLen: number): string {
  const path = join(root, 'recipe.yaml');
  writeFileSync(
    path,
    `calibration: { text: ${fixtureDir('kjv-llama')}/calibration.txt, tokens: 8192, seq_len: ${seqLen}, rows_per_layer: 2048 }
experts: { sizes: [0.25, 0.5, 1.0], align: 8 }
# Widths of 8 neurons are not 4-bit blocks: fp32 here; test/precision-graphs.test.ts covers the families' precisions.
output: { dtypes: [fp32] }
router: { kind: ridge }
${SMALL_EVAL.replace('seq_len: 64', `seq_len: ${Math.min(64, seqLen)}`)}
`,
  );
  return path;
}

interface Converted {
  out: string;
  manifest: { model: { layers: number; kv_heads: number; head_dim: number; family: string } };
  /** Logits the MoE graph must reproduce at threshold 0, [2, 12, vocab]. */
  expected: Float32Array;
  vocab: number;
}

async function convertCase(name: string): Promise<Converted> {
  const source = name === LONGROPE_CASE ? await writeLongropeCheckpoint(join(root, name)) : fixtureDir(name);
  const out = join(root, `${name}-out`);
  const r = runCli(
    [
      'convert',
      source,
      '--recipe',
      recipe(name === LONGROPE_CASE ? LONGROPE.maxPositions : 128),
      '--out',
      out,
      '--quiet',
    ],
    {
      env: { MOEFY_CACHE_DIR: join(root, 'cache'), HF_HUB_OFFLINE: '1', CI: 'true' },
    },
  );
  if (r.code !== 0) throw new Error(`moefy convert ${name} failed (${r.code}): ${r.stderr}`);
  const manifest = JSON.parse(readFileSync(join(out, 'moefy.json'), 'utf8'));
  const expected = name === LONGROPE_CASE ? await referenceLogits(source) : await goldenLogits(name);
  return { out, manifest, expected, vocab: expected.length / (2 * 12) };
}

async function goldenLogits(name: string): Promise<Float32Array> {
  const ref = await openReference(fixtureDir(name));
  expect(ref.ids).toEqual(IDS);
  return ref.read('logits');
}

/** The float64 reference's full-sequence logits (one forward pass per row, as transformers runs them). */
async function referenceLogits(dir: string): Promise<Float32Array> {
  const model = await ReferenceDecoder.open(dir);
  const rows = IDS.flatMap((row) => {
    model.reset();
    return model.forward(row).flatMap((logits) => Array.from(logits));
  });
  return Float32Array.from(rows);
}

const threshold0 = { router_threshold: float32Tensor([0], []) };

describe.each([...GOLDEN_CASES, LONGROPE_CASE])('%s through convert', (name) => {
  let c: Converted;
  let moe: Session;
  beforeAll(async () => {
    c = await convertCase(name);
    moe = await createSession(join(c.out, 'model.onnx'), { threads: 1 });
  });
  const cache = () => ({
    layers: c.manifest.model.layers,
    kvHeads: c.manifest.model.kv_heads,
    headDim: c.manifest.model.head_dim,
  });

  it('threshold 0: the MoE graph gives the reference logits over the whole sequence', async () => {
    const out = await run(moe, { ...tokenFeeds({ ids: IDS }), ...emptyPast(cache(), 2), ...threshold0 });
    const diff = maxAbsDiff(readFloat32(out.logits!), c.expected);
    expect(diff).toBeLessThanOrEqual(TOL);
    expect(new Set(readInt64(out.expert_index!))).toEqual(new Set([2]));
    console.log(`${name}: convert, MoE graph at threshold 0, max |Δ| logits ${diff.toExponential(2)}`);
  });

  it('threshold 0: token by token with the KV cache, the same logits', async () => {
    let past = emptyPast(cache(), 2);
    let worst = 0;
    for (let t = 0; t < 12; t++) {
      const out = await run(moe, {
        ...tokenFeeds({ ids: IDS.map((r) => [r[t]!]), past: t }),
        ...past,
        ...threshold0,
      });
      const logits = readFloat32(out.logits!);
      for (let b = 0; b < 2; b++) {
        const want = c.expected.subarray((b * 12 + t) * c.vocab, (b * 12 + t + 1) * c.vocab);
        worst = Math.max(worst, maxAbsDiff(logits.subarray(b * c.vocab, (b + 1) * c.vocab), want));
      }
      past = pastFromPresent(out, cache().layers);
    }
    // Longrope: cached keys keep the short factors once the sequence passes 8 (transformers' forward does the
    // same), so only a fresh pass matches the full-sequence logits there; test/longrope.test.ts covers it.
    if (name === LONGROPE_CASE) expect(worst).toBeGreaterThan(TOL);
    else expect(worst).toBeLessThanOrEqual(TOL);
    console.log(`${name}: convert, MoE KV cache at threshold 0, max |Δ| logits ${worst.toExponential(2)}`);
  });

  it('writes graphs the ONNX checker accepts, a report, and the family in the manifest', () => {
    const graphs = readdirSync(c.out).filter((f) => f.endsWith('.onnx'));
    expect(graphs).toEqual(expect.arrayContaining(['model.onnx', 'model_fixed.onnx', 'dense.onnx']));
    for (const f of [...graphs, 'onnx/model.onnx']) checkOnnxModel(join(c.out, f));
    const report = JSON.parse(readFileSync(join(c.out, 'report.json'), 'utf8'));
    expect(report.points.map((p: { kind: string }) => p.kind)).toEqual(
      expect.arrayContaining(['dense', 'learned']),
    );
    expect(c.manifest.model.family).toMatch(/^(llama|gpt2|phi3|qwen3|gemma2|gemma3_text)$/);
  });

  it('generate at threshold 0 decodes greedily as the dense graph does', async () => {
    const dense = await createSession(join(c.out, 'dense.onnx'), { threads: 1 });
    const r = await generate({
      dir: c.out,
      prompt: 'Hello',
      threshold: 0,
      maxNewTokens: 8,
      temperature: 0,
      seed: 0,
      write: () => {},
    });
    const ours = await decode({
      session: dense,
      cache: cache(),
      prompt: [72, 101, 108, 108, 111],
      maxNewTokens: 8,
      pick: argmax,
      stopIds: eosIds(c.out),
      ...(name === LONGROPE_CASE && { recomputePast: 8 }),
    });
    await releaseSession(dense);
    expect(r.newTokens).toEqual(ours.tokens);
    expect(r.ffnFraction).toBe(1);
  });

  it('transformers.js loads onnx/ offline and generates our greedy tokens over the same graph', async () => {
    const prompt = IDS[1]!.slice(0, 5);
    const tjs = await transformersJsGreedy(c.out, prompt, 8);
    const fixed = await createSession(join(c.out, 'model_fixed.onnx'), { threads: 1 });
    const greedy = (recompute: boolean) =>
      decode({
        session: fixed,
        cache: cache(),
        prompt,
        maxNewTokens: 8,
        pick: argmax,
        stopIds: eosIds(c.out),
        ...(recompute && { recomputePast: 8 }),
      });
    expect(tjs).toEqual([...prompt, ...(await greedy(false)).tokens]);
    if (name === LONGROPE_CASE) {
      // transformers.js keeps the short-factor cache past the original length; transformers (and moefy) recompute.
      expect(tjs).not.toEqual([...prompt, ...(await greedy(true)).tokens]);
    }
    await releaseSession(fixed);
  });
});

async function transformersJsGreedy(out: string, prompt: number[], newTokens: number): Promise<number[]> {
  env.allowRemoteModels = false;
  env.localModelPath = dirname(out);
  const model = await AutoModelForCausalLM.from_pretrained(basename(out), { local_files_only: true });
  try {
    const generated = (await model.generate({
      input_ids: int64Tjs(prompt),
      attention_mask: int64Tjs(prompt.map(() => 1)),
      max_new_tokens: newTokens,
      do_sample: false,
    })) as TjsTensor;
    return (generated.tolist() as bigint[][])[0]!.map(Number);
  } finally {
    await model.dispose();
  }
}

function int64Tjs(values: number[]): TjsTensor {
  return new TjsTensor(
    'int64',
    BigInt64Array.from(values, (v) => BigInt(v)),
    [1, values.length],
  );
}

function eosIds(out: string): Set<number> {
  for (const file of ['generation_config.json', 'config.json']) {
    const path = join(out, file);
    if (!existsSync(path)) continue;
    const eos = JSON.parse(readFileSync(path, 'utf8')).eos_token_id as number | number[] | undefined;
    if (eos !== undefined && eos !== null) return new Set(typeof eos === 'number' ? [eos] : eos);
  }
  return new Set();
}
