/** `moefy plan` as a real child process: text and JSON on the kjv-llama recipe, flags, and its error paths. */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';

const repo = new URL('..', import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), 'moefy-plan-'));
const cache = join(root, 'hf-cache');
afterAll(() => rmSync(root, { recursive: true, force: true }));

function moefy(...args: string[]) {
  return runCli(args, { cwd: repo, env: { HF_HUB_CACHE: cache, HF_HUB_OFFLINE: '' } });
}

describe('moefy plan', () => {
  it('prints the plan for recipes/kjv-llama.yaml and writes nothing', () => {
    const before = readdirSync(repo).sort();
    const r = moefy('plan', 'recipes/kjv-llama.yaml');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`source    local ${join(repo, 'fixtures/kjv-llama')}`);
    expect(r.stdout).toContain(
      'llama (LlamaForCausalLM), 4 layers, hidden 128, heads 4 (kv 4) × 32, FFN 512 (gated)',
    );
    expect(r.stdout).toMatch(/\n\s+0\s+64\s+12\.5%\s+197 k\s+43\.0%\n/);
    expect(readdirSync(repo).sort()).toEqual(before);
  });

  it('--json gives the Plan object; a model ref runs under the default recipe with flag overrides', () => {
    const r = moefy('plan', 'fixtures/kjv-llama', '--json', '--seed', '5', '--thresholds', '0,0.1');
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.source).toEqual({ kind: 'local', path: join(repo, 'fixtures/kjv-llama') });
    expect(plan.recipe.seed).toBe(5);
    expect(plan.recipe.eval.thresholds).toEqual([0, 0.1]);
    expect(plan.experts.map((e: { neurons: number }) => e.neurons)).toEqual([64, 128, 256, 384, 512]);
    expect(plan.model.denseMacsPerToken).toBe(1147392);
  });

  it('plans a gpt2-family checkpoint (plain FFN, 128 learned positions) once its windows fit', () => {
    const tooLong = moefy('plan', 'fixtures/golden/gpt2');
    expect(tooLong.code).toBe(2);
    expect(tooLong.stderr).toBe(
      "moefy: calibration.seq_len 256 exceeds the model's max_position_embeddings 128; set a shorter window in the recipe\n",
    );
    const file = join(root, 'gpt2.yaml');
    const model = join(repo, 'fixtures/golden/gpt2');
    writeFileSync(file, `model: ${model}\ncalibration: { seq_len: 128 }\neval: { latency: { seq: 96 } }\n`);
    const r = moefy('plan', file, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).model).toMatchObject({ family: 'gpt2', ffnKind: 'plain' });
  });

  it('reports recipe problems with exit 2', () => {
    const file = join(root, 'bad.yaml');
    writeFileSync(file, 'experts:\n  sizez: [1]\n');
    const r = moefy('plan', file, '--device', 'gpu');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "moefy: command line: invalid recipe\n  --device: must be one of 'cpu' | 'cuda', got 'gpu'\n",
    );
    const again = moefy('plan', file);
    expect(again.stderr).toBe(
      `moefy: ${file}: invalid recipe\n  experts.sizez (2:3): unknown key 'sizez'; did you mean 'sizes'?\n`,
    );
  });

  it('with --offline, an uncached Hub repo is an error naming the repo and the cache', () => {
    const r = moefy('plan', 'acme/not-cached', '--offline');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('acme/not-cached@main: not in the Hub cache');
    expect(r.stderr).toContain('offline mode is on');
  });

  it.each(['smollm2-135m', 'qwen2.5-0.5b', 'tinyllama-1.1b', 'gpt2'])(
    'recipes/%s.yaml validates and, offline and uncached, says which files it would fetch',
    (name) => {
      const r = moefy('plan', `recipes/${name}.yaml`, '--offline');
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(
        /not in the Hub cache .* would fetch config\.json, tokenizer\.json, .*model\.safetensors/,
      );
    },
  );
});
