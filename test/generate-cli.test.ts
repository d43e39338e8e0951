/**
 * `moefy generate` as a real child process on a converted kjv-llama: streamed text, speed and FFN-fraction report,
 * threshold 0 = dense greedy output, seeded sampling, and the input errors (exit 2, one line).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decode } from '../src/app/generate/decode-loop.js';
import { generate } from '../src/app/generate/generate.js';
import { argmax } from '../src/app/generate/sampling.js';
import { loadTokenizer } from '../src/data/tokenizer.js';
import { createSession, releaseSession } from '../src/runtime/session.js';
import { InputError } from '../src/util/errors.js';
import { convertKjv, moefy } from './support/kjv-convert.js';

const root = mkdtempSync(join(tmpdir(), 'moefy-generate-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const PROMPT = 'And God said';

/** Greedy text from dense.onnx through the same tokenizer and KV-cache loop. */
async function denseGreedy(out: string, newTokens: number): Promise<string> {
  const tokenizer = loadTokenizer(out);
  const prompt = tokenizer.encode(PROMPT);
  const session = await createSession(join(out, 'dense.onnx'));
  try {
    const r = await decode({
      session,
      cache: { layers: 4, kvHeads: 4, headDim: 32 },
      prompt,
      maxNewTokens: newTokens,
      pick: argmax,
    });
    return tokenizer.decode([...prompt, ...r.tokens]);
  } finally {
    await releaseSession(session);
  }
}

async function expectInputError(promise: Promise<unknown>, message: string): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InputError);
  expect((err as Error).message).toBe(message);
}

function stat(stderr: string, name: string): string | undefined {
  return stderr.match(new RegExp(`^${name}: (.*)$`, 'm'))?.[1];
}

describe('moefy generate', () => {
  let out: string;
  beforeAll(() => {
    out = convertKjv(root, 'output: { dtypes: [fp32, q4] }'); // generate --dtype q4 below
  });

  it('streams text at the recipe threshold and reports tokens/s per phase and the FFN fraction', () => {
    const r = moefy(['generate', out, '--prompt', PROMPT, '--max-new-tokens', '30']);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith(PROMPT)).toBe(true);
    expect(r.stdout.length).toBe(PROMPT.length + 30 + 1); // byte-level vocab: one character per token, then \n
    expect(stat(r.stderr, 'prefill')).toMatch(/^12 tokens, [\d.]+ tokens\/s$/);
    expect(stat(r.stderr, 'decode')).toMatch(/^30 new tokens, [\d.]+ tokens\/s$/);
    const threshold = JSON.parse(readFileSync(join(out, 'moefy.json'), 'utf8')).fixed_threshold;
    const ffn = stat(r.stderr, 'FFN fraction')!.match(/^([\d.]+) at router threshold (.*)$/)!;
    expect(Number(ffn[1])).toBeGreaterThan(0.125);
    expect(Number(ffn[1])).toBeLessThan(1);
    expect(Number(ffn[2])).toBe(threshold);
  });

  it('--threshold 0 uses every neuron and prints exactly the dense greedy text', async () => {
    const r = moefy(['generate', out, '--prompt', PROMPT, '--max-new-tokens', '40', '--threshold', '0']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${await denseGreedy(out, 40)}\n`);
    expect(stat(r.stderr, 'FFN fraction')).toBe('1.000 at router threshold 0');
  });

  it('samples reproducibly with --temperature and --seed', async () => {
    const sample = (seed: number) =>
      generate({ dir: out, prompt: PROMPT, maxNewTokens: 40, temperature: 1, seed, write: () => {} });
    const a = await sample(1);
    expect((await sample(1)).text).toBe(a.text);
    expect((await sample(2)).text).not.toBe(a.text);
  });

  it('bad input exits 2 with one line naming the file or flag', () => {
    const missing = moefy(['generate', join(root, 'nowhere'), '--prompt', PROMPT]);
    expect(missing.code).toBe(2);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toBe(
      `moefy: ${join(root, 'nowhere', 'moefy.json')}: not found; expected an output directory of \`moefy convert\`\n`,
    );
    const zero = moefy(['generate', out, '--prompt', PROMPT, '--max-new-tokens', '0']);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toBe('moefy: --max-new-tokens: expected an integer ≥ 1, got "0"\n');
    const dtype = moefy(['generate', out, '--prompt', PROMPT, '--dtype', 'int4']);
    expect(dtype.code).toBe(2);
    expect(dtype.stderr).toBe('moefy: --dtype: expected one of fp32, fp16, q8, q4, q4f16, got "int4"\n');
  });

  it("--dtype picks that precision's router graph; a precision the conversion did not write is an InputError", async () => {
    const base = { prompt: PROMPT, maxNewTokens: 4, temperature: 0, seed: 0, write: () => {} };
    const q4 = await generate({ ...base, dir: out, dtype: 'q4' }); // output.dtypes [fp32, q4]
    expect(q4.newTokens).toHaveLength(4);
    await expectInputError(
      generate({ ...base, dir: out, dtype: 'q8' }),
      `--dtype q8: ${join(out, 'moefy.json')} has no q8 graphs (it has fp32, q4); convert with q8 in output.dtypes`,
    );
  });

  it('refuses a dense export, a prompt past the model positions and an empty prompt (InputError)', async () => {
    const dense = join(root, 'dense-out');
    mkdirSync(dense);
    writeFileSync(join(dense, 'moefy.json'), JSON.stringify({ kind: 'dense' }));
    const base = { maxNewTokens: 8, temperature: 0, seed: 0, write: () => {} };
    await expectInputError(
      generate({ ...base, dir: dense, prompt: PROMPT }),
      `${join(dense, 'moefy.json')}: field kind: Invalid input: expected "moe"`,
    );
    await expectInputError(
      generate({ ...base, dir: out, prompt: PROMPT, maxNewTokens: 250 }),
      "--max-new-tokens: prompt (12 tokens) + 250 exceeds the model's 256 positions",
    );
    await expectInputError(
      generate({ ...base, dir: out, prompt: '' }),
      '--prompt: expected text that encodes to at least one token',
    );
  });
});
