/**
 * Request encoding as the harness's `_encode_pair`, on a real byte-level BPE tokenizer.json with three merges
 * (" t", "he", " the"), so a token can straddle the context/continuation boundary.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTokenizer, type TextTokenizer } from '../../data/tokenizer.js';
import { encodeRequest, NO_SPECIAL_TOKENS as NONE } from './encode.js';
import { TaskRowError } from './types.js';

const KJV = join(import.meta.dirname, '../../../fixtures/kjv-llama/tokenizer.json');
const dir = mkdtempSync(join(tmpdir(), 'moefy-encode-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** kjv-llama's byte tokenizer plus merges Ġ t → Ġt (256), h e → he (257), Ġt he → Ġthe (258). */
function mergingTokenizer(): TextTokenizer {
  const json = JSON.parse(readFileSync(KJV, 'utf8'));
  Object.assign(json.model.vocab, { Ġt: 256, he: 257, Ġthe: 258 });
  json.model.merges = ['Ġ t', 'h e', 'Ġt he'];
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(json));
  return loadTokenizer(dir);
}

const bytes = (s: string) => [...Buffer.from(s, 'utf8')];
const THE = 258;

describe('encodeRequest', () => {
  const tok = mergingTokenizer();

  it('the tokenizer merges " the" into one token', () => {
    expect(tok.encode('on the')).toEqual([...bytes('on'), THE]);
  });

  it('splits the whole encoding at the context token count', () => {
    const r = encodeRequest(tok, { context: 'Question: x\nAnswer:', continuation: ' the end' }, NONE);
    expect(r.context).toEqual(bytes('Question: x\nAnswer:'));
    expect(r.continuation).toEqual([THE, ...bytes(' end')]);
  });

  it('moves the context’s trailing whitespace onto the continuation', () => {
    const r = encodeRequest(tok, { context: 'sat on \t', continuation: 'the mat' }, NONE);
    expect(r.context).toEqual(bytes('sat on'));
    // " \tthe mat": the tab breaks the " t" merge, the spaces stay with the continuation.
    expect(r.continuation).toEqual(tok.encode('sat on \tthe mat').slice(r.context.length));
    expect(r.continuation.slice(0, 2)).toEqual(bytes(' \t'));
  });

  it('strips what Python’s rstrip() strips: U+0085 and U+001F are whitespace there, U+FEFF is not', () => {
    const moved = (context: string) =>
      encodeRequest(tok, { context, continuation: 'x' }, NONE).continuation.length;
    expect(moved('a\u0085')).toBe(bytes('\u0085x').length);
    expect(moved('a\u001f')).toBe(2);
    expect(moved('a\ufeff')).toBe(1);
  });

  it('scores the whole string past the context’s tokens, also when a token straddles the boundary', () => {
    // "on t" = o n Ġt (3 tokens); "on the mat" = o n Ġthe Ġ m a t: past 3 tokens comes " mat". The "he" went into
    // the straddling token and is not scored: the harness slices by count, not by text.
    const r = encodeRequest(tok, { context: 'on t', continuation: 'he mat' }, NONE);
    expect(r.context).toEqual([...bytes('on'), 256]);
    expect(r.continuation).toEqual(bytes(' mat'));
  });

  it('an empty context is the prefix token, and the continuation is encoded alone', () => {
    expect(encodeRequest(tok, { context: '', continuation: ' the' }, { prefix: 7, bos: null })).toEqual({
      context: [7],
      continuation: [THE],
    });
  });

  it('with add_bos_token (Gemma), every encoding starts with BOS, the empty-context continuation too', () => {
    const gemma = { prefix: 2, bos: 2 };
    const r = encodeRequest(tok, { context: 'on t', continuation: 'he mat' }, gemma);
    expect(r).toEqual({ context: [2, ...bytes('on'), 256], continuation: bytes(' mat') });
    expect(encodeRequest(tok, { context: '', continuation: ' the' }, gemma)).toEqual({
      context: [2],
      continuation: [2, THE],
    });
  });

  it('refuses what cannot be scored, naming why', () => {
    expect(() => encodeRequest(tok, { context: '', continuation: 'x' }, NONE)).toThrow(
      new TaskRowError(
        'the context is empty and the model has no BOS or EOS token to stand in for it (config.json bos_token_id / eos_token_id)',
      ),
    );
    expect(() => encodeRequest(tok, { context: '  ', continuation: 'x' }, NONE)).toThrow(
      new TaskRowError('the context encodes to no tokens'),
    );
    expect(() => encodeRequest(tok, { context: 'on t', continuation: 'he' }, NONE)).toThrow(
      new TaskRowError('the continuation encodes to no tokens'),
    );
  });
});
