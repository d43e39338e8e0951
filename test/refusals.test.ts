/**
 * Every refusal the plan makes, convert makes before any work (issue #13): windows past the model's positions, a
 * router training device this machine cannot run, and flags of `moefy train` / `moefy eval` that break the recipe
 * rules. Each case is a real child process that exits 2 with one clear line and leaves nothing behind.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRecipe } from '../src/recipe/load.js';
import type { Recipe } from '../src/recipe/types.js';
import { runCli } from './support/cli.js';
import { fakeMoeManifest } from './support/fake-manifest.js';
import { fixtureDir } from './support/golden.js';

const root = mkdtempSync(join(tmpdir(), 'moefy-refusals-'));
const cache = join(root, 'cache');
afterAll(() => rmSync(root, { recursive: true, force: true }));

function moefy(...args: string[]) {
  return runCli(args, { env: { MOEFY_CACHE_DIR: cache, HF_HUB_OFFLINE: '1', CI: 'true' } });
}

/** The refusal is the last line; nothing was calibrated, cached or written. */
function expectRefusal(r: ReturnType<typeof moefy>, out: string, message: string): void {
  expect(r.code).toBe(2);
  expect(r.stderr.trim().split('\n').at(-1)).toBe(`moefy: ${message}`);
  expect(r.stderr).not.toContain('[calibrate]');
  expect(existsSync(out)).toBe(false);
  expect(existsSync(cache)).toBe(false);
}

describe('convert refuses what plan refuses, before any work', () => {
  it('calibration.seq_len past the positions of kjv-llama (256)', () => {
    const recipe = join(root, 'seq512.yaml');
    writeFileSync(recipe, 'calibration: { seq_len: 512 }\n');
    const out = join(root, 'seq512');
    expectRefusal(
      moefy('convert', '--recipe', recipe, '--out', out),
      out,
      "calibration.seq_len 512 exceeds the model's max_position_embeddings 256; set a shorter window in the recipe",
    );
    expect(moefy('plan', recipe).stderr).toContain('calibration.seq_len 512 exceeds');
  });

  it('a peak estimate over memory.ram_gb: refused before any work, the largest part named; plan warns', () => {
    const recipe = join(root, 'ram.yaml');
    writeFileSync(recipe, 'memory: { ram_gb: 0.01 }\n');
    const out = join(root, 'ram');
    const message =
      'estimated peak memory 625 MB exceeds 10.7 MB (memory.ram_gb); the largest part is the hidden states ' +
      'in flight (304 MB): set memory.max_gb to spill them to disk';
    expectRefusal(
      moefy('convert', '--recipe', recipe, '--out', out),
      out,
      `${message} (or raise memory.ram_gb to run anyway)`,
    );
    const planned = moefy('plan', recipe);
    expect(planned.code).toBe(0);
    expect(planned.stdout).toContain(`warnings  ${message}`);
  });

  it('the default windows on gpt2 (128 learned positions): plan’s error, not an ORT Gather failure', () => {
    const out = join(root, 'gpt2');
    expectRefusal(
      moefy('convert', fixtureDir('gpt2'), '--out', out),
      out,
      "calibration.seq_len 256 exceeds the model's max_position_embeddings 128; set a shorter window in the recipe",
    );
  });

  it('a recipe device cuda without the CUDA build: refused by plan and convert before any work', (ctx) => {
    const recipe = join(root, 'cuda-model.yaml');
    writeFileSync(recipe, 'device: cuda\nrouter: { kind: ridge }\n');
    const planned = moefy('plan', recipe);
    if (planned.code === 0)
      ctx.skip('this machine runs the CUDA execution provider: there is nothing to refuse');
    const message = planned.stderr.trim().split('\n').at(-1)!.slice('moefy: '.length);
    expect(message).toMatch(
      /^device cuda: cannot run here \(.+\); install the CUDA build of onnxruntime-node: `ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules\/onnxruntime-node\/script\/install\.js`/,
    );
    const out = join(root, 'cuda-model');
    expectRefusal(moefy('convert', '--recipe', recipe, '--out', out), out, message);
  });

  it('--device cuda without the CUDA build of onnxruntime-node', (ctx) => {
    const planned = moefy('plan', fixtureDir('kjv-llama'), '--device', 'cuda');
    if (planned.code === 0)
      ctx.skip('this machine runs the CUDA execution provider: there is nothing to refuse');
    const message = planned.stderr.trim().split('\n').at(-1)!.slice('moefy: '.length);
    expect(message).toMatch(
      /^router\.train\.device cuda: cannot run here \(.+\); install the CUDA build of onnxruntime-node: `ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules\/onnxruntime-node\/script\/install\.js`/,
    );
    const out = join(root, 'cuda');
    expectRefusal(moefy('convert', '--device', 'cuda', '--out', out), out, message);
  });
});

/** A converted directory whose moefy.json records `recipe` (these commands stop before reading any other file). */
function outputDir(name: string, recipe: Recipe): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const manifest = fakeMoeManifest({
    source: { kind: 'local', path: fixtureDir('kjv-llama'), files: [] },
    recipe,
  });
  writeFileSync(join(dir, 'moefy.json'), JSON.stringify(manifest));
  return dir;
}

describe('train and eval flags go through the recipe rules', () => {
  it('moefy train turns a ridge conversion into an mlp one only if the mlp batch fits the rows', async () => {
    const ridge = await loadRecipe(undefined);
    const recipe = {
      ...ridge,
      calibration: { ...ridge.calibration, rows_per_layer: 1024 },
      router: { ...ridge.router, kind: 'ridge' as const },
    };
    const dir = outputDir('ridge', recipe);
    const r = moefy('train', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `moefy: ${join(dir, 'moefy.json')}: invalid recipe\n` +
        '  router.train.batch: must be ≤ the training rows per layer (921 = calibration.rows_per_layer × ' +
        '(1 − router.train.heldout)), got 2048\n',
    );
    expect(moefy('train', dir, '--steps', '0', '--device', 'gpu').stderr).toBe(
      "moefy: command line: invalid recipe\n  --device: must be one of 'cpu' | 'cuda', got 'gpu'\n  --steps: must be > 0, got 0\n",
    );
  });

  it('moefy eval --tokens below one window is the recipe rule, named by its flag', async () => {
    const dir = outputDir('eval', await loadRecipe(undefined));
    const r = moefy('eval', dir, '--tokens', '5', '--no-latency');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `moefy: ${join(dir, 'moefy.json')}: invalid recipe\n` +
        '  eval.tokens (from --tokens): must be ≥ eval.seq_len (128) to fill one window, got 5\n',
    );
  });
});
