import { mkdtemp, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CheckpointFormatError } from '../util/errors.js';
import { openTensorStore } from './safetensors-index.js';
import { MAX_HEADER_BYTES, openSafetensors } from './safetensors-read.js';

const GOLDEN = 'fixtures/golden';
const INPUT_IDS = [
  [0, 17, 42, 99, 17, 200, 5, 42, 128, 255, 3, 63],
  [72, 101, 108, 108, 111, 32, 119, 111, 114, 108, 100, 33],
];

/** A safetensors file from a header (object or raw text) and data bytes; `length` overrides the prefix. */
function craft(header: object | string, data: Uint8Array = new Uint8Array(0), length?: bigint): Buffer {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(length ?? BigInt(json.length));
  return Buffer.concat([prefix, json, data]);
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'moefy-st-'));
});

async function fileOf(name: string, bytes: Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

describe('openSafetensors on the golden fixtures', () => {
  it('reads reference input_ids exactly as int64 raw bytes', async () => {
    const file = await openSafetensors(`${GOLDEN}/llama-gqa/reference.safetensors`);
    const info = file.tensors.get('input_ids')!;
    expect(info).toMatchObject({ dtype: 'I64', shape: [2, 12] });
    const raw = await file.readRaw('input_ids');
    const ids = Array.from(new BigInt64Array(raw.buffer, raw.byteOffset, 24), Number);
    expect(ids).toEqual(INPUT_IDS.flat());
    await expect(file.readFloat32('input_ids')).rejects.toThrow(
      /input_ids\.dtype: expected a float dtype, got I64/,
    );
  });

  it('reads F32 tensors as the stored little-endian floats', async () => {
    const file = await openSafetensors(`${GOLDEN}/gpt2/reference.safetensors`);
    const raw = await file.readRaw('logits');
    const expected = Array.from({ length: raw.length / 4 }, (_, i) => raw.readFloatLE(4 * i));
    const logits = await file.readFloat32('logits');
    expect(logits.length).toBe(2 * 12 * 256);
    expect(Array.from(logits)).toEqual(expected);
  });

  it('upcasts bf16 weights of the sharded fixture to exactly the bf16 bit pattern << 16', async () => {
    const store = await openTensorStore(`${GOLDEN}/llama-sharded-bf16`);
    expect(store.tensors.size).toBe(39);
    for (const info of store.tensors.values()) {
      expect(info.dtype).toBe('BF16');
      const raw = await (await openSafetensors(info.file)).readRaw(info.name);
      const words = new Uint32Array(raw.length / 2);
      for (let i = 0; i < words.length; i++) words[i] = raw.readUInt16LE(2 * i) << 16;
      const values = await store.handle(info.name).read();
      expect(new Uint32Array(values.buffer, values.byteOffset, values.length)).toEqual(words);
    }
  });

  it('reads F16 and F64 tensors and keeps metadata', async () => {
    const data = Buffer.concat([Buffer.from([0x00, 0x3c, 0x00, 0xc0]), Buffer.alloc(8)]);
    data.writeDoubleLE(0.25, 4);
    const path = await fileOf(
      'mixed.safetensors',
      craft(
        {
          __metadata__: { format: 'pt' },
          h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] },
          d: { dtype: 'F64', shape: [1], data_offsets: [4, 12] },
        },
        data,
      ),
    );
    const file = await openSafetensors(path);
    expect(file.metadata).toEqual({ format: 'pt' });
    expect([...(await file.readFloat32('h'))]).toEqual([1, -2]);
    expect([...(await file.readFloat32('d'))]).toEqual([0.25]);
    await expect(file.readRaw('nope')).rejects.toThrow(/nope: no such tensor in this file/);
  });
});

const F32_2 = new Uint8Array(8);
const MALFORMED: [string, () => Buffer, RegExp][] = [
  ['truncated prefix', () => Buffer.alloc(5), /header length: file is 5 bytes, needs >= 8/],
  [
    'header length beyond the file',
    () => craft('{}', undefined, 1000n),
    /header length: 1000 bytes runs past the end/,
  ],
  [
    'header too long',
    () => craft('{}', undefined, BigInt(MAX_HEADER_BYTES) + 1n),
    /header length: 100000001 bytes exceeds the limit 100000000/,
  ],
  ['non-JSON header', () => craft('{"a": ', F32_2), /header: expected UTF-8 JSON/],
  ['header not an object', () => craft('[1, 2]'), /header: expected a JSON object/],
  [
    'bad dtype',
    () => craft({ w: { dtype: 'Q4', shape: [2], data_offsets: [0, 8] } }, F32_2),
    /w\.dtype: expected one of F64, .*got "Q4"/,
  ],
  [
    'negative shape',
    () => craft({ w: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, F32_2),
    /w\.shape: expected at most 8 integers >= 0/,
  ],
  [
    'fractional offsets',
    () => craft({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 7.5] } }, F32_2),
    /w\.data_offsets: expected \[begin, end\]/,
  ],
  [
    'offsets past the data',
    () => craft({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, F32_2),
    /w\.data_offsets: \[0, 16\] must lie inside the data area of 8 bytes/,
  ],
  [
    'shape x dtype != length',
    () => craft({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, F32_2),
    /w\.data_offsets: 8 bytes, but dtype size x shape needs 12/,
  ],
  [
    'overlapping offsets',
    () =>
      craft(
        {
          a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
          b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
        },
        F32_2,
      ),
    /b\.data_offsets: overlaps the bytes of a/,
  ],
  ['metadata not strings', () => craft({ __metadata__: { n: 1 } }), /__metadata__\.n: expected a string/],
  [
    'truncated mid-header UTF-8',
    () => craft(Buffer.from([0x7b, 0xc3]).toString('latin1')),
    /header: expected UTF-8 JSON/,
  ],
];

describe('openSafetensors rejects malformed files', () => {
  it.each(MALFORMED)('%s', async (label, bytes, message) => {
    const path = await fileOf(`${label.replaceAll(' ', '-')}.safetensors`, bytes());
    const error = await openSafetensors(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointFormatError);
    expect((error as CheckpointFormatError).file).toBe(path);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message.startsWith(`${path}: `)).toBe(true);
  });

  it('fails a read when the file was truncated after opening', async () => {
    const path = await fileOf(
      'shrinks.safetensors',
      craft({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, F32_2),
    );
    const file = await openSafetensors(path);
    await truncate(path, (await stat(path)).size - 4);
    const error = await file.readFloat32('w').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointFormatError);
    expect((error as Error).message).toMatch(/data: file ended at byte \d+, expected \d+/);
  });

  it('names a missing file', async () => {
    await expect(openSafetensors(join(dir, 'absent.safetensors'))).rejects.toThrow(
      /absent\.safetensors: cannot open \(ENOENT\)/,
    );
  });
});
