/**
 * Hostile checkpoints (DESIGN.md §5): shard paths and symlinks leaving the snapshot, dimensions that would allocate
 * terabytes, dtype/shape/offset lies, NaN/Inf weights and config fields of the wrong type. Each is refused with
 * the right error class and a message naming the file and the field — in process, and through the real CLI
 * (exit 2, one line on stderr, no output dir left behind).
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { INDEX_FILE, openTensorStore } from '../src/checkpoint/safetensors-index.js';
import { openSafetensors } from '../src/checkpoint/safetensors-read.js';
import { writeSafetensors, type TensorToWrite } from '../src/checkpoint/safetensors-write.js';
import { loadModel } from '../src/families/load.js';
import { CheckpointFormatError } from '../src/util/errors.js';
import { fixtureDir } from './support/golden.js';
import { runCli } from './support/cli.js';

const root = mkdtempSync(join(tmpdir(), 'moefy-hostile-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors'];
let serial = 0;

/** A copy of the gpt2 fixture under a fresh name; `edit` changes it before use. */
function checkpoint(edit: (dir: string) => void = () => {}): string {
  const dir = join(root, `ckpt-${serial++}`);
  mkdirSync(dir);
  for (const f of FILES) copyFileSync(join(fixtureDir('gpt2'), f), join(dir, f));
  edit(dir);
  return dir;
}

function editConfig(dir: string, changes: Record<string, unknown>): void {
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), ...changes }));
}

/** Rewrites model.safetensors with `value` at index 5 of `tensor`. */
async function poison(dir: string, tensor: string, value: number): Promise<void> {
  const file = join(dir, 'model.safetensors');
  const st = await openSafetensors(file);
  const tensors: Record<string, TensorToWrite> = {};
  for (const info of st.tensors.values()) {
    const data = Float32Array.from(await st.readFloat32(info.name));
    if (info.name === tensor) data[5] = value;
    tensors[info.name] = { dtype: 'F32', shape: info.shape, data };
  }
  await writeSafetensors(file, tensors);
}

/** Writes an index mapping every gpt2 tensor to the one shard `shard` (a path written by a stranger). */
function indexPointingAt(dir: string, shard: string): void {
  const bytes = readFileSync(join(dir, 'model.safetensors'));
  const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString('utf8'));
  const names = Object.keys(header).filter((n) => n !== '__metadata__');
  const weightMap = Object.fromEntries(names.map((n) => [n, shard]));
  writeFileSync(join(dir, INDEX_FILE), JSON.stringify({ metadata: {}, weight_map: weightMap }));
}

/** A copy of the weights outside every checkpoint dir: what an escaping shard path would reach. */
const outside = join(root, 'outside.safetensors');
copyFileSync(join(fixtureDir('gpt2'), 'model.safetensors'), outside);

async function formatError(promise: Promise<unknown>): Promise<CheckpointFormatError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CheckpointFormatError);
  expect((error as Error).message).not.toContain('\n');
  return error as CheckpointFormatError;
}

function moefy(...args: string[]) {
  return runCli(args, { env: { HF_HUB_OFFLINE: '1', NO_COLOR: '1' } });
}

/** exit 2, exactly one `moefy: …` line on stderr matching `message`. */
function expectRefused(r: ReturnType<typeof moefy>, message: RegExp): void {
  expect(r.code).toBe(2);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^moefy: /);
  expect(lines[0]).toMatch(message);
}

describe('hostile checkpoints in process', () => {
  it('refuses shard paths that leave the snapshot, lexically or through a symlink', async () => {
    const escaping = checkpoint((d) => indexPointingAt(d, '../outside.safetensors'));
    const error = await formatError(openTensorStore(escaping));
    expect(error.message).toBe(
      `${join(escaping, INDEX_FILE)}: weight_map shard "../outside.safetensors": must not contain ".."`,
    );
    const linked = checkpoint((d) => {
      symlinkSync(outside, join(d, 'link.safetensors'));
      indexPointingAt(d, 'link.safetensors');
    });
    expect((await formatError(openTensorStore(linked))).message).toMatch(
      /model\.safetensors\.index\.json: weight_map shard "link\.safetensors": resolves to .*outside\.safetensors, outside the checkpoint directory$/,
    );
  });

  it.each([
    ['n_embd', 2 ** 31, /n_embd: expected an integer in \[1, 65536\], got 2147483648/],
    ['vocab_size', 1e12, /vocab_size: expected an integer in \[1, 4000000\], got 1000000000000/],
    ['n_layer', '2', /n_layer: expected an integer in \[1, 1024\], got "2"/],
    ['n_head', 4.5, /n_head: expected an integer in \[1, 1024\], got 4.5/],
    ['layer_norm_epsilon', 'tiny', /layer_norm_epsilon: expected a finite number, got "tiny"/],
    ['activation_function', ['gelu'], /activation_function: expected a string, got \["gelu"\]/],
  ])('refuses config.json %s = %j before allocating anything', async (key, value, message) => {
    const dir = checkpoint((d) => editConfig(d, { [key]: value }));
    const error = await formatError(loadModel(dir));
    expect(error.file).toBe(join(dir, 'config.json'));
    expect(error.message).toMatch(message);
  });

  it.each([
    [
      'dtype',
      { dtype: 'F32', shape: [4, 4], data_offsets: [0, 32] },
      /w\.data_offsets: 32 bytes, but dtype size x shape needs 64/,
    ],
    [
      'shape',
      { dtype: 'F32', shape: [2 ** 20, 2 ** 20], data_offsets: [0, 64] },
      /w\.data_offsets: 64 bytes, but dtype size x shape needs 4398046511104/,
    ],
    [
      'offset',
      { dtype: 'F32', shape: [4, 4], data_offsets: [8, 72] },
      /w\.data_offsets: \[8, 72\] must lie inside the data area of 64 bytes/,
    ],
    [
      'negative dim',
      { dtype: 'F32', shape: [-4, -4], data_offsets: [0, 64] },
      /w\.shape: expected at most 8 integers >= 0/,
    ],
    [
      'unknown dtype',
      { dtype: 'F8_E4M3', shape: [4, 4], data_offsets: [0, 16] },
      /w\.dtype: expected one of .*, got "F8_E4M3"/,
    ],
  ])('refuses a %s lie in a safetensors header', async (_, entry, message) => {
    const file = join(root, `lie-${serial++}.safetensors`);
    const json = Buffer.from(JSON.stringify({ w: entry }));
    const bytes = Buffer.alloc(8 + json.length + 64);
    bytes.writeBigUInt64LE(BigInt(json.length), 0);
    json.copy(bytes, 8);
    writeFileSync(file, bytes);
    const error = await formatError(openSafetensors(file));
    expect(error.file).toBe(file);
    expect(error.message).toMatch(message);
  });

  it.each([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
  ])('reports %s weights by tensor name when they are read', async (_, value) => {
    const dir = checkpoint();
    await poison(dir, 'transformer.h.1.mlp.c_proj.weight', value);
    const { ir } = await loadModel(dir);
    const error = await formatError(ir.layers[1]!.ffn.down.weight.read());
    expect(error.message).toBe(
      `${join(dir, 'model.safetensors')}: transformer.h.1.mlp.c_proj.weight: 1 non-finite value(s) (first at index 5: ${value}); the weights are corrupt`,
    );
    await expect(ir.layers[0]!.ffn.down.weight.read()).resolves.toHaveLength(256 * 64);
  });
});

describe('hostile checkpoints through the CLI', () => {
  it('moefy inspect refuses an escaping shard path (exit 2, one line)', () => {
    const dir = checkpoint((d) => indexPointingAt(d, '../outside.safetensors'));
    expectRefused(
      moefy('inspect', dir),
      /model\.safetensors\.index\.json: weight_map\.transformer\.h\.0\.attn\.c_attn\.bias: shard "\.\.\/outside\.safetensors" is not a plain file name in the checkpoint dir$/,
    );
  });

  it('moefy inspect refuses a terabyte-sized config (exit 2, one line)', () => {
    const dir = checkpoint((d) => editConfig(d, { n_embd: 2 ** 31 }));
    expectRefused(
      moefy('inspect', dir),
      /config\.json: n_embd: expected an integer in \[1, 65536\], got 2147483648$/,
    );
  });

  // c_attn is split into q/k/v views (decoded to float32); c_proj's bytes are kept and copied as they stream.
  it.each(['transformer.h.0.attn.c_attn.weight', 'transformer.h.1.attn.c_proj.weight'])(
    'moefy export refuses NaN weights by name (%s) and leaves no output dir behind',
    async (tensor) => {
      const dir = checkpoint();
      await poison(dir, tensor, Number.NaN);
      const out = join(root, 'nan-out');
      expectRefused(
        moefy('export', dir, '--out', out),
        new RegExp(
          `${tensor.replaceAll('.', '\\.')}: 1 non-finite value\\(s\\) \\(first at index 5: NaN\\); the weights are corrupt$`,
        ),
      );
      expect(existsSync(out)).toBe(false);
      expect(readdirSync(root).filter((f) => f.includes('nan-out'))).toEqual([]);
    },
  );

  it('moefy export refuses a symlinked shard pointing outside the checkpoint', () => {
    const dir = checkpoint((d) => {
      symlinkSync(outside, join(d, 'link.safetensors'));
      indexPointingAt(d, 'link.safetensors');
    });
    const out = join(root, 'link-out');
    expectRefused(
      moefy('export', dir, '--out', out),
      /weight_map shard "link\.safetensors": resolves to .*, outside the checkpoint directory$/,
    );
    expect(existsSync(out)).toBe(false);
  });
});
