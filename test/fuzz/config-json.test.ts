/**
 * Fuzzing config.json through the real model loader (config → family spec → dimensions → tensor store): byte
 * mutations of real configs, and real configs with keys overwritten by values of the wrong type or absurd size.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, it } from 'vitest';
import { loadModel } from '../../src/families/load.js';
import { fixtureDir } from '../support/golden.js';
import { caseCounter, FUZZ_SEED, runs, settle } from './fuzz-support.js';
import { hostileKey, hostileNumberText, jsonGarbageText } from './json-gen.js';
import { applyMutations, mutations } from './mutate.js';

const root = mkdtempSync(join(tmpdir(), 'moefy-fuzz-config-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const CASES = ['llama-gqa', 'gpt2'] as const;
const configs = CASES.map((name) => {
  const dir = join(root, name);
  mkdirSync(dir);
  copyFileSync(join(fixtureDir(name), 'model.safetensors'), join(dir, 'model.safetensors'));
  const text = readFileSync(join(fixtureDir(name), 'config.json'), 'utf8');
  return { dir, text, keys: Object.keys(JSON.parse(text) as object) };
});
const count = caseCounter('config.json');

async function load(dir: string, text: Uint8Array | string): Promise<void> {
  writeFileSync(join(dir, 'config.json'), text);
  await loadModel(dir);
}

const wrongValue = fc.oneof(
  hostileNumberText,
  jsonGarbageText,
  fc.constantFrom(
    '"silu"',
    '"gelu\\nx"',
    '["LlamaForCausalLM\\nX"]',
    '["GPT2LMHeadModel", 3]',
    '"float16"',
    'false',
  ),
);

/** A real config with 1-4 keys (its own or hostile ones) overwritten: JSON keeps the last of duplicate keys. */
const overwritten = fc
  .tuple(
    fc.nat(CASES.length - 1),
    fc.array(fc.tuple(fc.oneof(fc.nat(40), hostileKey), wrongValue), { minLength: 1, maxLength: 4 }),
  )
  .map(([which, edits]) => {
    const { dir, text, keys } = configs[which]!;
    const extra = edits.map(([key, value]) => {
      const name = typeof key === 'number' ? (keys[key % keys.length] ?? 'x') : key;
      return `${JSON.stringify(name)}:${value}`;
    });
    return { dir, text: `${text.trimEnd().slice(0, -1)},${extra.join(',')}}` };
  });

describe('config.json under fuzzing', () => {
  it('survives byte mutations of real configs', async () => {
    const mutated = fc.tuple(fc.nat(CASES.length - 1), mutations()).map(([which, list]) => ({
      dir: configs[which]!.dir,
      bytes: applyMutations(Buffer.from(configs[which]!.text), list),
    }));
    await fc.assert(
      fc.asyncProperty(mutated, async ({ dir, bytes }) => count(await settle(() => load(dir, bytes)))),
      { seed: FUZZ_SEED, numRuns: runs(300) },
    );
  });

  it('survives real configs with fields of the wrong type or absurd size', async () => {
    await fc.assert(
      fc.asyncProperty(overwritten, async ({ dir, text }) => count(await settle(() => load(dir, text)))),
      { seed: FUZZ_SEED, numRuns: runs(500) },
    );
  });
});
