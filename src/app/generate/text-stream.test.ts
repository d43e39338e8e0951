import { describe, expect, it } from 'vitest';
import { loadTokenizer } from '../../data/tokenizer.js';
import { TextStream } from './text-stream.js';

const kjv = new URL('../../../fixtures/kjv-llama', import.meta.url).pathname;

describe('TextStream', () => {
  it('writes the prompt, then each new suffix, holding back a character split across byte tokens', () => {
    const tokenizer = loadTokenizer(kjv); // byte-level: "é" is two tokens
    const writes: string[] = [];
    const stream = new TextStream(tokenizer, tokenizer.encode('Dieu'), (t) => writes.push(t));
    for (const id of tokenizer.encode(' é ça')) stream.push(id);
    expect(stream.end()).toBe('Dieu é ça');
    expect(writes).toEqual(['Dieu', ' ', 'é', ' ', 'ç', 'a']);
    expect(writes.join('')).toBe('Dieu é ça');
  });

  it('flushes a trailing partial character at the end', () => {
    const tokenizer = loadTokenizer(kjv);
    const writes: string[] = [];
    const stream = new TextStream(tokenizer, tokenizer.encode('a'), (t) => writes.push(t));
    stream.push(195); // first byte of a two-byte character, never completed
    expect(writes).toEqual(['a']);
    expect(stream.end()).toBe('a\uFFFD');
    expect(writes).toEqual(['a', '\uFFFD']);
  });
});
