import { describe, expect, it } from 'vitest';
import { openTensorStore } from '../checkpoint/safetensors-index.js';
import { InternalError } from '../util/errors.js';
import type { TensorHandle } from './model.js';
import { gatheredRows, tensorRows } from './tensor-rows.js';

const KJV = new URL('../../fixtures/kjv-llama', import.meta.url).pathname;
const EMBED = 'model.embed_tokens.weight';

function bytesOf(h: TensorHandle): Uint8Array {
  const parts = [...h.stored!().chunks()].map((c) => c.slice());
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

describe('row slices of a checkpoint tensor', () => {
  it('read only the rows, by offset: values and stored bytes equal the whole tensor’s rows', async () => {
    const store = await openTensorStore(KJV);
    const embed = store.handle(EMBED);
    const [vocab, hidden] = embed.shape as [number, number];
    const whole = await embed.read();
    const rows = tensorRows(embed, 3, 5);
    expect(rows.shape).toEqual([5, hidden]);
    expect(await rows.read()).toEqual(whole.slice(3 * hidden, 8 * hidden));
    const size = bytesOf(embed).byteLength / (vocab * hidden);
    expect(bytesOf(rows)).toEqual(bytesOf(embed).slice(3 * hidden * size, 8 * hidden * size));
    // A slice of a slice counts from its own first row.
    expect(await tensorRows(rows, 1, 2).read()).toEqual(whole.slice(4 * hidden, 6 * hidden));
    expect(() => tensorRows(rows, 4, 2)).toThrow(InternalError);
    expect(() => tensorRows(embed, vocab - 1, 2)).toThrow(InternalError);
  });

  it('gather the rows of ascending ids, from the file or from a derived view read whole', async () => {
    const embed = (await openTensorStore(KJV)).handle(EMBED);
    const hidden = embed.shape[1]!;
    const whole = await embed.read();
    const ids = [0, 1, 2, 9, 40, 41, 255];
    const expected = Float32Array.from(
      ids.flatMap((id) => [...whole.subarray(id * hidden, (id + 1) * hidden)]),
    );
    expect(await gatheredRows(embed, ids).read()).toEqual(expected);
    const derived: TensorHandle = {
      name: embed.name,
      dtype: embed.dtype,
      shape: embed.shape,
      file: embed.file,
      read: () => embed.read(),
    };
    expect(await gatheredRows(derived, ids).read()).toEqual(expected);
    expect(() => gatheredRows(embed, [3, 2])).toThrow(InternalError);
    expect(() => gatheredRows(embed, [256])).toThrow(InternalError);
  });
});
