/**
 * Fuzzing recipe YAML through parseRecipeText: byte mutations of a shipped recipe, the recipe with values of the
 * wrong type, generated YAML with random keys, tags, anchors and aliases, and alias bombs (billion laughs) that
 * must fail fast instead of expanding. Recipe errors are a multi-line list by design (RecipeError).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse as parseYamlText, stringify } from 'yaml';
import { parseRecipeText } from '../../src/recipe/load.js';
import { RecipeError } from '../../src/util/errors.js';
import { caseCounter, FUZZ_SEED, runs, settle } from './fuzz-support.js';
import { editedJson } from './json-edit.js';
import { applyMutations, mutations } from './mutate.js';

const recipesDir = new URL('../../recipes/', import.meta.url).pathname;
const file = join(recipesDir, 'fuzz.yaml');
const real = readFileSync(join(recipesDir, 'kjv-llama.yaml'), 'utf8');
const count = caseCounter('recipe YAML');

const check = async (text: string) => count(await settle(() => parseRecipeText(text, file)));

const KEYS = [
  'model',
  'revision',
  'dtype',
  'seed',
  'experts',
  'sizes',
  'align',
  'calibration',
  'text',
  'tokens',
  'router',
  'train',
  'lr',
  'eval',
  'thresholds',
  'check',
  'output',
  '__proto__',
  'constructor',
  'toString',
  'modle',
];
const SCALARS = [
  '0',
  '-1',
  '1e400',
  '.nan',
  '.inf',
  '~',
  'null',
  'true',
  'yes',
  '"a\\nb"',
  "'x'",
  '0x10',
  '1_000',
  '2001-12-14',
  '!!binary aGk=',
  '!!js/function "x"',
  '!custom 3',
  '[1, 2]',
  '{a: 1}',
  '|\n  block',
  '*nope',
  '""',
];

/** A mapping line `key: value`, possibly with an anchor, an alias of an earlier anchor, or nested one level. */
const line = fc.record({
  indent: fc.constantFrom('', '  ', '\t'),
  key: fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 8 })),
  value: fc.oneof(
    fc.constantFrom(...SCALARS),
    fc.string({ maxLength: 12 }),
    fc.nat(3).map((i) => `*a${i}`),
  ),
  anchor: fc.option(
    fc.nat(3).map((i) => `&a${i} `),
    { nil: '' },
  ),
});
const generated = fc
  .array(line, { minLength: 1, maxLength: 12 })
  .map((lines) => lines.map((l) => `${l.indent}${l.key}: ${l.anchor}${l.value}`).join('\n'));

function yamlOrJson(json: string): string {
  try {
    return stringify(JSON.parse(json));
  } catch {
    return json;
  }
}

/** `levels` anchors, each a list of `fanout` aliases of the one before: fanout^levels strings when expanded. */
function aliasBomb(levels: number, fanout: number): string {
  const out = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
  for (let i = 1; i <= levels; i++)
    out.push(
      `l${i}: &l${i} [${Array(fanout)
        .fill(`*l${i - 1}`)
        .join(', ')}]`,
    );
  return `${out.join('\n')}\nmodel: *l${levels}\n`;
}

describe('recipe YAML under fuzzing', () => {
  it('survives byte mutations of a shipped recipe', async () => {
    const mutated = mutations().map((list) => applyMutations(Buffer.from(real), list).toString('utf8'));
    await fc.assert(fc.asyncProperty(mutated, check), { seed: FUZZ_SEED, numRuns: runs(200) });
  });

  it('survives a shipped recipe with values of the wrong type', async () => {
    const base = parseYamlText(real);
    // JSON is YAML too: values too deep for yaml's stringify go in as JSON text.
    const edited = fc
      .tuple(editedJson(base), fc.boolean())
      .map(([json, asJson]) => (asJson ? json : yamlOrJson(json)));
    await fc.assert(fc.asyncProperty(edited, check), { seed: FUZZ_SEED, numRuns: runs(150) });
  });

  it('survives generated YAML with random keys, tags, anchors and aliases', async () => {
    await fc.assert(fc.asyncProperty(generated, check), { seed: FUZZ_SEED, numRuns: runs(300) });
  });

  it('rejects alias bombs quickly with a RecipeError instead of expanding them', async () => {
    const bombs = fc.tuple(fc.integer({ min: 2, max: 12 }), fc.integer({ min: 2, max: 10 }));
    await fc.assert(
      fc.asyncProperty(bombs, async ([levels, fanout]) => {
        const outcome = await settle(() => parseRecipeText(aliasBomb(levels, fanout), file));
        count(outcome);
        expect(outcome).toBe('typed');
      }),
      { seed: FUZZ_SEED, numRuns: runs(40) },
    );
    expect(() => parseRecipeText(aliasBomb(9, 9), file)).toThrow(RecipeError);
    expect(() => parseRecipeText(aliasBomb(9, 9), file)).toThrow(/alias/);
  });
});
