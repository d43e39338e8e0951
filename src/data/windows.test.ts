import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../util/errors.js';
import { loadTokenizer } from './tokenizer.js';
import { collectWindows, streamWindows, textWindows } from './windows.js';

const KJV = join(import.meta.dirname, '../../fixtures/kjv-llama');
const tokenizer = loadTokenizer(KJV);

describe('textWindows', () => {
  it('cuts non-overlapping windows, drops the tail and honours the budget', () => {
    const ids = Array.from({ length: 10 }, (_, i) => i);
    expect(textWindows({ ids, seqLen: 3, maxTokens: 100 })).toEqual({
      count: 3,
      seqLen: 3,
      ids: Int32Array.from(ids.slice(0, 9)),
    });
    expect(textWindows({ ids, seqLen: 3, maxTokens: 7 }).count).toBe(2);
  });

  it('rejects impossible budgets', () => {
    expect(() => textWindows({ ids: [1], seqLen: 0, maxTokens: 10 })).toThrow(
      new InputError('seq_len: expected a positive integer, got 0'),
    );
    expect(() => textWindows({ ids: [1], seqLen: 8, maxTokens: 4 })).toThrow(
      new InputError('tokens: budget 4 is smaller than one window of 8'),
    );
  });
});

describe('streaming windows', () => {
  const file = join(KJV, 'calibration.txt');
  const whole = tokenizer.encode(readFileSync(file, 'utf8'));

  it('match whole-file windows when read in small chunks at line boundaries', async () => {
    const expected = textWindows({ ids: whole, seqLen: 256, maxTokens: 1e9 });
    const streamed = await collectWindows(
      streamWindows({ file, tokenizer, seqLen: 256, maxTokens: 1e9, chunkBytes: 777 }),
      256,
    );
    expect(streamed.count).toBe(expected.count);
    expect(streamed.ids).toEqual(expected.ids);
  });

  it('keep multi-byte characters whole across chunk edges', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'moefy-win-'));
    const utf8 = join(dir, 'utf8.txt');
    const text = 'é∑ “x”\n'.repeat(40);
    writeFileSync(utf8, text);
    const w = await collectWindows(
      streamWindows({ file: utf8, tokenizer, seqLen: 16, maxTokens: 1e6, chunkBytes: 5 }),
      16,
    );
    expect(w.ids).toEqual(textWindows({ ids: tokenizer.encode(text), seqLen: 16, maxTokens: 1e6 }).ids);
  });

  it('stop at the token budget', async () => {
    const got: Int32Array[] = [];
    for await (const w of streamWindows({ file, tokenizer, seqLen: 64, maxTokens: 200, chunkBytes: 100 }))
      got.push(w);
    expect(got.length).toBe(3);
    expect(got[2]).toEqual(Int32Array.from(whole.slice(128, 192)));
  });

  it('tokenize a long line without newlines in pieces', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'moefy-win-'));
    const long = join(dir, 'long.txt');
    writeFileSync(long, 'ab'.repeat(500));
    const w = await collectWindows(
      streamWindows({ file: long, tokenizer, seqLen: 100, maxTokens: 1e6, chunkBytes: 64 }),
      100,
    );
    expect(w.count).toBe(10);
    expect(w.ids.subarray(0, 4)).toEqual(Int32Array.from([97, 98, 97, 98]));
  });

  it('name a missing file', async () => {
    const missing = join(KJV, 'nope.txt');
    await expect(
      collectWindows(streamWindows({ file: missing, tokenizer, seqLen: 4, maxTokens: 8 }), 4),
    ).rejects.toThrow(new InputError(`${missing}: text file not found`));
  });
});
