import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkOnnxModel } from '../../test/support/onnx-checker.js';
import { createSession, run } from '../runtime/session.js';
import { float32Tensor, readFloat32 } from '../runtime/tensors.js';
import { InternalError } from '../util/errors.js';
import { ELEM, ExternalDataWriter, GraphBuilder } from './builder.js';
import { writeModel } from './serialize.js';

const dir = mkdtempSync(join(tmpdir(), 'moefy-builder-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** y = softmax(x W + b) with W [3, 2] external and b inline; two graphs share one data file. */
function build(sub: string): { model: string; other: string; data: string } {
  const data = new ExternalDataWriter(join(dir, `${sub}.onnx.data`));
  const b = new GraphBuilder('g', data);
  const x = b.input('x', ELEM.float, ['batch', 3]);
  const w = b.weight('w', ELEM.float, [3, 2], Float32Array.of(1, 2, 3, 4, 5, 6));
  const y = b.scope('layers.0', () => b.softmax(b.add(b.matMul(x, w), b.f32([0.5, -0.5]))));
  b.output('y', y, ELEM.float, ['batch', 2]);
  const model = join(dir, `${sub}.onnx`);
  writeModel(b.model(), model);
  const g2 = new GraphBuilder('g2', data);
  const x2 = g2.input('x', ELEM.float, ['batch', 3]);
  g2.output('y', g2.matMul(x2, g2.sharedWeight('w', ELEM.float, [3, 2])), ELEM.float, ['batch', 2]);
  const other = join(dir, `${sub}-shared.onnx`);
  writeModel(g2.model(), other);
  data.close();
  return { model, other, data: join(dir, `${sub}.onnx.data`) };
}

describe('GraphBuilder', () => {
  it('emits checker-valid graphs that ORT runs, with weights in a shared external data file', async () => {
    const { model, other, data } = build('a');
    checkOnnxModel(model);
    checkOnnxModel(other);
    expect(statSync(data).size).toBe(24); // written once despite two graphs
    const session = await createSession(model, { threads: 1 });
    const out = await run(session, { x: float32Tensor([1, 0, 0], [1, 3]) });
    const y = readFloat32(out.y!);
    const z = [1.5, 1.5]; // x W + b = [1, 2] + [0.5, -0.5]
    expect(y[0]).toBeCloseTo(Math.exp(z[0]!) / (Math.exp(z[0]!) + Math.exp(z[1]!)), 6);
    const shared = await run(await createSession(other), { x: float32Tensor([0, 1, 0], [1, 3]) });
    expect(Array.from(readFloat32(shared.y!))).toEqual([3, 4]);
  });

  it('serializes identical builds to identical bytes', () => {
    const a = build('det1');
    const b = build('det2');
    expect(readFileSync(a.data).equals(readFileSync(b.data))).toBe(true);
    // The data file name is part of each graph; compare after normalising it.
    const norm = (p: string, s: string): string => readFileSync(p).toString('latin1').replaceAll(s, 'X');
    expect(norm(a.model, 'det1')).toBe(norm(b.model, 'det2'));
  });

  it('names nodes by scope and sorts attributes', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', ELEM.float, [2]);
    const y = b.scope('layers.3', () =>
      b.scope('attn', () => b.op('LayerNormalization', [x, x], { epsilon: { float: 1e-5 }, axis: -1 })[0]!),
    );
    const z = b.scope('layers.3', () => b.scope('attn', () => b.neg(x)));
    const again = b.scope('layers.3', () => b.scope('attn', () => b.neg(x)));
    expect([y, z, again]).toEqual([
      'layers.3/attn/LayerNormalization',
      'layers.3/attn/Neg',
      'layers.3/attn/Neg_1',
    ]);
    const node = b.graph().node![0]!;
    expect(node.attribute!.map((a) => a.name)).toEqual(['axis', 'epsilon']);
  });

  it('rejects initializers whose bytes do not match their dims', () => {
    const b = new GraphBuilder('g');
    expect(() => b.weight('w', ELEM.float, [2, 3], new Float32Array(5))).toThrow(InternalError);
    expect(() => b.weight('v', ELEM.float, [2, 3], new Float32Array(5))).toThrow(
      'tensor v: 20 bytes, expected 24 for type 1 dims [2, 3]',
    );
    expect(() => b.op('Softmax', [], { axis: 0.5 })).toThrow(
      'attribute axis: 0.5 is not an integer (use { float })',
    );
    expect(() => b.sharedWeight('nope', ELEM.float, [1])).toThrow('shared weight nope was never written');
  });

  it('aligns external tensors and dedupes constants', () => {
    const data = new ExternalDataWriter(join(dir, 'align.data'));
    expect(data.put('a', new Uint8Array(3))).toEqual({ offset: 0, length: 3 });
    expect(data.put('b', new Uint8Array(5))).toEqual({ offset: 64, length: 5 });
    expect(data.put('c', new Uint8Array(1 << 20)).offset).toBe(4096);
    expect(data.put('a', new Uint8Array(3))).toEqual({ offset: 0, length: 3 });
    expect(() => data.put('a', new Uint8Array(4))).toThrow(
      'external data: "a" rewritten with 4 bytes, was 3',
    );
    data.close();
    const b = new GraphBuilder('g');
    expect(b.i64([1, 2])).toBe(b.i64([1, 2]));
    expect(b.i64([1, 2])).not.toBe(b.i64([2, 1]));
  });
});
