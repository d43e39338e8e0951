/**
 * GraphBuilder — the API every graph in moefy is built with (only src/onnx/ touches protobuf).
 *
 *   const data = new ExternalDataWriter(join(dir, 'model.onnx.data'));   // optional; shareable by graphs
 *   const b = new GraphBuilder('decoder', data);
 *   const ids = b.input('input_ids', ELEM.int64, ['batch', 'sequence']);
 *   const w = b.weight('embed.weight', ELEM.float, [V, H], f32array);     // streamed to data file now
 *   const x = b.scope('layers.0', () => b.gather(w, ids));                // node/value "layers.0/Gather"
 *   b.output('logits', x, ELEM.float, ['batch', 'sequence', V]);
 *   writeModel(b.model(), join(dir, 'model.onnx')); data.close();           // writeModel re-exported here
 *
 * Values are strings (tensor names). `b.op(type, inputs, attrs, {name, outputs})` emits any node and returns its
 * output names; the methods below are sugar for opset 17 (axes as inputs where opset 17 wants them). Attributes:
 * numbers are INTs, floats are `{ float: x }`. `b.i64([..])`, `b.f32([..])`, `b.scalarF32(x)` make deduplicated
 * inline constants; `b.weight` makes external (or inline, without a writer) initializers and checks
 * bytes = element size × dims. Names are scoped (`b.scope(name, fn)`, async fns allowed) and deterministic:
 * the same build calls give the same bytes. `b.sharedWeight(name, …)` references a tensor another graph already
 * wrote to the same data file (a second `b.weight` with an already written name also reuses its bytes).
 * `b.model({ producerVersion, metadata })` pins opset 17 / IR 8. Op sugar: math-ops.ts (add … topK, argMax,
 * layerNorm, reduceMean/Sum/Max, cast, where, comparisons) and below (reshape … scatterND, constantOfShape).
 * Decoder-level helpers (DecoderContext, FfnBuilder, linear, activation, buildDecoder) live in src/graph/.
 */
import { ELEM, type ElemType } from './dtype.js';
import { MathOps } from './math-ops.js';
import type { ModelProto } from './proto.js';

export { ELEM, type ElemType } from './dtype.js';
export { type ChunkedBytes, ExternalDataWriter } from './external-data.js';
export { type WeightSink } from './graph-core.js';
export { type WeightInput, WeightInputs } from './weight-inputs.js';
export { encodeModel, writeModel } from './serialize.js';

export const OPSET = 17;
export const IR_VERSION = 8;
/** ONNX Runtime's contrib operators (MatMulNBits): imported only by graphs that use them. */
export const MS_DOMAIN = 'com.microsoft';
const DOMAIN_OPSETS: Readonly<Record<string, number>> = { [MS_DOMAIN]: 1 };

export class GraphBuilder extends MathOps {
  // ── shape ──
  /** `shape` is a constant list (0 copies the input dim, -1 infers) or a tensor name. */
  reshape(x: string, shape: readonly number[] | string): string {
    return this.op('Reshape', [x, typeof shape === 'string' ? shape : this.i64(shape)])[0]!;
  }
  transpose(x: string, perm: readonly number[]): string {
    return this.op('Transpose', [x], { perm })[0]!;
  }
  unsqueeze(x: string, axes: readonly number[]): string {
    return this.op('Unsqueeze', [x, this.i64(axes)])[0]!;
  }
  squeeze(x: string, axes: readonly number[]): string {
    return this.op('Squeeze', [x, this.i64(axes)])[0]!;
  }
  concat(xs: readonly string[], axis: number): string {
    return this.op('Concat', xs, { axis })[0]!;
  }
  /** Equal split along `axis` into `parts` outputs (opset 17 needs no split sizes for that). */
  split(x: string, axis: number, parts: number): string[] {
    return this.op('Split', [x], { axis }, { outputs: parts });
  }
  slice(
    x: string,
    s: {
      starts: readonly number[] | string;
      ends: readonly number[] | string;
      axes: readonly number[];
      steps?: readonly number[];
    },
  ): string {
    const c = (v: readonly number[] | string): string => (typeof v === 'string' ? v : this.i64(v));
    const inputs = [x, c(s.starts), c(s.ends), this.i64(s.axes)];
    if (s.steps) inputs.push(this.i64(s.steps));
    return this.op('Slice', inputs)[0]!;
  }
  /** Shape of `x`, optionally the [start, end) slice of it (opset 15+). */
  shape(x: string, start?: number, end?: number): string {
    return this.op('Shape', [x], { start, end })[0]!;
  }
  gather(data: string, indices: string, axis = 0): string {
    return this.op('Gather', [data, indices], { axis })[0]!;
  }
  gatherND(data: string, indices: string): string {
    return this.op('GatherND', [data, indices])[0]!;
  }
  expand(x: string, shape: string): string {
    return this.op('Expand', [x, shape])[0]!;
  }
  range(start: string, limit: string, delta: string): string {
    return this.op('Range', [start, limit, delta])[0]!;
  }
  nonZero(x: string): string {
    return this.op('NonZero', [x])[0]!;
  }
  scatterND(data: string, indices: string, updates: string, reduction?: 'add' | 'mul'): string {
    return this.op('ScatterND', [data, indices, updates], { reduction })[0]!;
  }
  constantOfShape(shape: string, value: number, type: ElemType = ELEM.float): string {
    const tensor = {
      name: '',
      dataType: type,
      dims: [1],
      rawData:
        type === ELEM.float
          ? new Uint8Array(Float32Array.of(value).buffer)
          : new Uint8Array(BigInt64Array.of(BigInt(value)).buffer),
    };
    return this.op('ConstantOfShape', [shape], { value: { tensor } })[0]!;
  }

  /**
   * The model: opset 17, IR 8 (plus com.microsoft 1 where a contrib op is used), no timestamps or paths, so
   * identical builds serialize to identical bytes.
   */
  model(opts: { producerVersion?: string; metadata?: Readonly<Record<string, string>> } = {}): ModelProto {
    const metadataProps = Object.keys(opts.metadata ?? {})
      .sort()
      .map((key) => ({ key, value: opts.metadata![key]! }));
    return {
      irVersion: IR_VERSION,
      opsetImport: [
        { domain: '', version: OPSET },
        ...[...this.domains].sort().map((domain) => ({ domain, version: DOMAIN_OPSETS[domain] ?? 1 })),
      ],
      producerName: 'moefy',
      producerVersion: opts.producerVersion ?? '',
      graph: this.graph(),
      metadataProps,
    };
  }
}
