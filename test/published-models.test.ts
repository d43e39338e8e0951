/**
 * The example recipes of the families' flagship models (recipes/llama-3.2-1b.yaml, qwen3-0.6b, gemma-3-1b-it,
 * phi-4-mini-instruct), planned offline from their published config.json (fixtures/configs/) with a header-only
 * checkpoint of the real shapes in the Hub cache: the plan prices the real model (its parameter count as published),
 * and `moefy inspect` names the family features each config switches on.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';
import {
  PUBLISHED,
  type PublishedModel,
  publishedParameters,
  seedPublishedModel,
} from './support/config-only-checkpoint.js';

const repo = new URL('..', import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), 'moefy-published-'));
const cache = join(root, 'hf-cache');
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(() => {
  for (const name of Object.keys(PUBLISHED) as PublishedModel[]) seedPublishedModel(cache, name);
});

function moefy(...args: string[]) {
  return runCli(args, { cwd: repo, env: { HF_HUB_CACHE: cache, HF_HUB_OFFLINE: '' } });
}

const CASES: [PublishedModel, string, Record<string, unknown>][] = [
  ['Llama-3.2-1B', 'llama-3.2-1b', { family: 'llama', numLayers: 16, headDim: 64, tiedEmbeddings: true }],
  ['Qwen3-0.6B', 'qwen3-0.6b', { family: 'qwen3', numLayers: 28, numKvHeads: 8, headDim: 128, ffnDim: 3072 }],
  ['gemma-3-1b-it', 'gemma-3-1b-it', { family: 'gemma3_text', numLayers: 26, numKvHeads: 1, headDim: 256 }],
  [
    'Phi-4-mini-instruct',
    'phi-4-mini-instruct',
    { family: 'phi3', numLayers: 32, headDim: 128, ffnDim: 8192 },
  ],
];

describe.each(CASES)('%s', (name, recipe, shapes) => {
  it(`recipes/${recipe}.yaml plans offline with the real shapes and the published parameter count`, () => {
    const r = moefy('plan', `recipes/${recipe}.yaml`, '--offline', '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.source).toMatchObject({ kind: 'hub', repo: PUBLISHED[name] });
    expect(plan.model).toMatchObject(shapes);
    // The plan counts matrices and the two Llama norms per layer; extra per-layer norms are a rounding error.
    expect(Math.abs(plan.model.params / publishedParameters(name) - 1)).toBeLessThan(2e-3);
    expect(plan.experts.at(-1)).toMatchObject({ neurons: plan.model.ffnDim, fraction: 1 });
  });
});

describe('moefy inspect names the family features of the published configs', () => {
  const features = (name: PublishedModel) => {
    const r = moefy('inspect', PUBLISHED[name], '--offline', '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout).features;
  };

  it('Llama-3.2-1B: llama3 RoPE scaling', () => {
    expect(features('Llama-3.2-1B')).toMatchObject({
      rope: { type: 'llama3', theta: 500000, factor: 32, originalLength: 8192, rotaryDim: 64 },
      slidingLayers: [],
      fused: [],
    });
  });

  it('Qwen3-0.6B: q/k norms, no sliding window (use_sliding_window false)', () => {
    expect(features('Qwen3-0.6B')).toMatchObject({ variants: ['q/k norms'], slidingLayers: [] });
  });

  it('gemma-3-1b-it: 22 sliding layers of 512, local RoPE base, Gemma norms', () => {
    const f = features('gemma-3-1b-it');
    const global = [5, 11, 17, 23];
    expect(f.slidingLayers).toEqual([
      { window: 512, layers: Array.from({ length: 26 }, (_, i) => i).filter((i) => !global.includes(i)) },
    ]);
    expect(f.rope).toMatchObject({ type: 'default', theta: 1000000, localTheta: 10000 });
    expect(f.variants).toEqual([
      'gain 1 + w',
      'q/k norms',
      'post-attention and post-FFN norms',
      'embeddings × √hidden',
      'scores ÷ √256',
    ]);
    expect(f.softcaps).toEqual({});
  });

  it('Phi-4-mini-instruct: longrope past 4096 on 96 of 128 channels, fused projections', () => {
    const f = features('Phi-4-mini-instruct');
    expect(f.rope).toMatchObject({ type: 'longrope', originalLength: 4096, rotaryDim: 96, headDim: 128 });
    expect(f.rope.attentionFactor).toBeCloseTo(Math.sqrt(1 + Math.log(32) / Math.log(4096)), 12);
    expect(f.fused).toEqual([
      { tensor: 'model.layers.*.self_attn.qkv_proj.weight', parts: ['q', 'k', 'v'] },
      { tensor: 'model.layers.*.mlp.gate_up_proj.weight', parts: ['gate', 'up'] },
    ]);
  });

  it('prints them as text', () => {
    const r = moefy('inspect', PUBLISHED['gemma-3-1b-it'], '--offline');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('  sliding     window 512 on 22 layers: 0-4, 6-10, 12-16, 18-22, 24-25\n');
    expect(r.stdout).toContain('  rope        default (θ 1000000); sliding layers: default θ 10000\n');
  });
});
