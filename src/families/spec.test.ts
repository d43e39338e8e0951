import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { InternalError } from '../util/errors.js';
import { parseFamilySpec } from './spec.js';

describe('parseFamilySpec', () => {
  it('accepts the shipped specs', async () => {
    for (const name of ['llama.json', 'gpt2.json', 'phi3.json', 'qwen3.json', 'gemma2.json', 'gemma3.json']) {
      const spec = parseFamilySpec(name, JSON.parse(await readFile(`src/families/${name}`, 'utf8')));
      expect(spec.architectures.length).toBeGreaterThan(0);
    }
  });

  it('reports every problem of a broken spec as an internal error', async () => {
    const spec = JSON.parse(await readFile('src/families/llama.json', 'utf8'));
    spec.layout = 'rows';
    spec.layer['ffn.upp'] = spec.layer['ffn.up'];
    const error = (() => {
      try {
        return parseFamilySpec('broken.json', spec);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InternalError);
    expect((error as Error).message).toMatch(
      /^family spec broken\.json: layout: .*; layer: Unrecognized key: "ffn\.upp"/,
    );
  });
});
