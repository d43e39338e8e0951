/** Fuzzing tokenizer.json through loadTokenizer and a round of encode/decode: byte and structural mutations. */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, it } from 'vitest';
import { loadTokenizer } from '../../src/data/tokenizer.js';
import { fixtureDir } from '../support/golden.js';
import { caseCounter, FUZZ_SEED, runs, settle } from './fuzz-support.js';
import { editedJson } from './json-edit.js';
import { applyMutations, mutations } from './mutate.js';

const dir = mkdtempSync(join(tmpdir(), 'moefy-fuzz-tok-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const real = readFileSync(join(fixtureDir('kjv-llama'), 'tokenizer.json'));
copyFileSync(join(fixtureDir('kjv-llama'), 'tokenizer_config.json'), join(dir, 'tokenizer_config.json'));
const count = caseCounter('tokenizer.json');

function loadAndUse(bytes: Uint8Array | string): void {
  writeFileSync(join(dir, 'tokenizer.json'), bytes);
  const tokenizer = loadTokenizer(dir);
  tokenizer.decode(tokenizer.encode('In the beginning God created the heaven and the earth. 😀\n'));
}

describe('tokenizer.json under fuzzing', () => {
  it('survives byte mutations of a real tokenizer.json', async () => {
    const mutated = mutations().map((list) => applyMutations(real, list));
    await fc.assert(
      fc.asyncProperty(mutated, async (bytes) => count(await settle(() => loadAndUse(bytes)))),
      { seed: FUZZ_SEED, numRuns: runs(200) },
    );
  });

  it('survives a real tokenizer.json with values replaced by wrong types', async () => {
    const edited = editedJson(JSON.parse(real.toString('utf8')));
    await fc.assert(
      fc.asyncProperty(edited, async (text) => count(await settle(() => loadAndUse(text)))),
      { seed: FUZZ_SEED, numRuns: runs(300) },
    );
  });
});
