import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CheckpointFormatError, InputError } from '../util/errors.js';
import { loadTokenizer } from './tokenizer.js';

const KJV = join(import.meta.dirname, '../../fixtures/kjv-llama');

describe('loadTokenizer', () => {
  it('encodes kjv-llama text to its UTF-8 bytes and decodes back', () => {
    const tok = loadTokenizer(KJV);
    expect(tok.file).toBe(join(KJV, 'tokenizer.json'));
    const text = 'In the beginning God created the heaven and the earth.\nÆ — “quoted” ∑\n';
    const ids = tok.encode(text);
    expect(ids).toEqual([...Buffer.from(text, 'utf8')]);
    expect(tok.decode(ids)).toBe(text);
  });

  it('round-trips the calibration text', () => {
    const tok = loadTokenizer(join(KJV, 'tokenizer.json'));
    const text = readFileSync(join(KJV, 'calibration.txt'), 'utf8').slice(0, 5000);
    expect(tok.decode(tok.encode(text))).toBe(text);
  });

  it('names a missing or malformed tokenizer.json', () => {
    const dir = mkdtempSync(join(tmpdir(), 'moefy-tok-'));
    const file = join(dir, 'tokenizer.json');
    expect(() => loadTokenizer(dir)).toThrow(
      new InputError(
        `${file}: tokenizer.json not found; the checkpoint must ship a Hugging Face fast tokenizer`,
      ),
    );
    writeFileSync(file, '{"model": ');
    expect(() => loadTokenizer(dir)).toThrow(CheckpointFormatError);
    expect(() => loadTokenizer(dir)).toThrow(new RegExp(`^${file}: not valid JSON \\(`));
    writeFileSync(file, '{"version": "1.0"}');
    expect(() => loadTokenizer(dir)).toThrow(
      new CheckpointFormatError(file, 'not a Hugging Face tokenizer.json (no "model" object)'),
    );
    writeFileSync(file, '[]');
    expect(() => loadTokenizer(dir)).toThrow(new CheckpointFormatError(file, 'expected a JSON object'));
    writeFileSync(file, '{"model": {"type": "NoSuchModel"}}');
    expect(() => loadTokenizer(dir)).toThrow(new RegExp(`^${file}: cannot build the tokenizer: `));
  });
});
