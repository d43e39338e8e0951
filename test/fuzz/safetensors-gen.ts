/**
 * Structure-aware safetensors headers: mostly plausible layouts (so some parse and get read back) with lies mixed
 * in — wrong dtypes, huge or non-integer dims, offsets that overlap or leave the data area — plus hostile names.
 */
import fc from 'fast-check';
import { hostileKey, hostileNumberText, jsonGarbageText } from './json-gen.js';

export interface HeaderCase {
  /** The header JSON text, written verbatim after the length prefix. */
  header: string;
  dataBytes: number;
}

const DTYPES = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 } as const;
const dtypeName = fc.constantFrom(...(Object.keys(DTYPES) as (keyof typeof DTYPES)[]));

const tensor = fc.record({
  name: fc.oneof(fc.string({ maxLength: 12 }), hostileKey),
  dtype: dtypeName,
  shape: fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 3 }),
});

/** One field of an entry, replaced by a lie. */
const lie = fc.oneof(
  fc.record({
    field: fc.constant('dtype'),
    text: fc.oneof(jsonGarbageText, fc.constantFrom('"F8"', '"f32"', '"__proto__"', '"constructor"')),
  }),
  fc.record({
    field: fc.constant('shape'),
    text: fc.array(hostileNumberText, { maxLength: 10 }).map((a) => `[${a.join(',')}]`),
  }),
  fc.record({
    field: fc.constant('data_offsets'),
    text: fc.array(hostileNumberText, { maxLength: 3 }).map((a) => `[${a.join(',')}]`),
  }),
  fc.record({ field: fc.constant('shift'), text: fc.integer({ min: -64, max: 64 }).map(String) }),
  fc.record({ field: fc.constant('entry'), text: jsonGarbageText }),
);

const layout = fc.record({
  tensors: fc.array(tensor, { maxLength: 6 }),
  lies: fc.array(fc.tuple(fc.nat(5), lie), { maxLength: 2 }),
  metadata: fc.option(fc.oneof(jsonGarbageText, fc.constant('{"format":"pt"}')), { nil: undefined }),
  slack: fc.integer({ min: -8, max: 8 }),
});

type Layout = typeof layout extends fc.Arbitrary<infer T> ? T : never;

/** Tensors laid end to end with honest offsets, then the chosen lies applied to the chosen entries. */
function render({ tensors, lies, metadata, slack }: Layout): HeaderCase {
  let offset = 0;
  const entries = tensors.map((t, i) => {
    const bytes = DTYPES[t.dtype] * t.shape.reduce((a, d) => a * d, 1);
    const fields: Record<string, string> = {
      dtype: JSON.stringify(t.dtype),
      shape: JSON.stringify(t.shape),
      data_offsets: JSON.stringify([offset, offset + bytes]),
    };
    offset += bytes;
    let entry: string | undefined;
    for (const [target, { field, text }] of lies) {
      if (target % Math.max(1, tensors.length) !== i) continue;
      if (field === 'entry') entry = text;
      else if (field === 'shift')
        fields.data_offsets = JSON.stringify([offset - bytes + Number(text), offset]);
      else fields[field] = text;
    }
    const body = `{${Object.entries(fields)
      .map(([k, v]) => `"${k}":${v}`)
      .join(',')}}`;
    return `${JSON.stringify(t.name)}:${entry ?? body}`;
  });
  if (metadata !== undefined) entries.unshift(`"__metadata__":${metadata}`);
  return { header: `{${entries.join(',')}}`, dataBytes: Math.max(0, offset + slack) };
}

export const hostileHeader: fc.Arbitrary<HeaderCase> = fc.oneof(
  { weight: 4, arbitrary: layout.map(render) },
  { weight: 1, arbitrary: fc.record({ header: jsonGarbageText, dataBytes: fc.nat(64) }) },
);

/** Length prefix + header + a data area of patterned bytes. */
export function safetensorsBytes({ header, dataBytes }: HeaderCase): Uint8Array {
  const json = Buffer.from(header, 'utf8');
  const out = Buffer.alloc(8 + json.length + dataBytes, 0x3f);
  out.writeBigUInt64LE(BigInt(json.length), 0);
  json.copy(out, 8);
  return out;
}
