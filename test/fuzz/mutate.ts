/** Byte-level mutations of real files (bit flips, truncations, insertions, overwrites) as fast-check arbitraries. */
import fc from 'fast-check';

export type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'overwrite'; at: number; bytes: Uint8Array };

/** Positions are fractions of the file length, so one arbitrary serves files of any size. */
const at = fc.double({ min: 0, max: 1, noNaN: true });
const bytes = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 16 }),
  fc.constantFrom(...['"', '{', '}', '[', ']', ',', ':', '-1', '1e400', '\u0000', '\\u0000'].map(encode)),
);

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at }),
  fc.record({ kind: fc.constant('insert' as const), at, bytes }),
  fc.record({ kind: fc.constant('overwrite' as const), at, bytes }),
);

/** One to `maxLength` mutations applied in order. */
export function mutations(maxLength = 4): fc.Arbitrary<Mutation[]> {
  return fc.array(mutation, { minLength: 1, maxLength });
}

/** `span` restricts positions to the first bytes of the file (its header), where mutations matter most. */
export function applyMutations(base: Uint8Array, list: readonly Mutation[], span = base.length): Buffer {
  let out = Buffer.from(base);
  for (const m of list) {
    const pos = Math.min(Math.floor(m.at * Math.min(span, out.length)), Math.max(0, out.length - 1));
    if (m.kind === 'flip' && out.length > 0) out[pos] = out[pos]! ^ (1 << m.bit);
    if (m.kind === 'truncate') out = out.subarray(0, pos);
    if (m.kind === 'insert') out = Buffer.concat([out.subarray(0, pos), m.bytes, out.subarray(pos)]);
    if (m.kind === 'overwrite') {
      out = Buffer.from(out);
      out.set(m.bytes.subarray(0, Math.max(0, out.length - pos)), pos);
    }
  }
  return out;
}

function encode(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
