/** Sugar for constants, elementwise math, reductions and normalization ops (opset 17); see builder.ts. */
import { ELEM, type ElemType } from './dtype.js';
import { GraphCore } from './graph-core.js';

export class MathOps extends GraphCore {
  // ── constants ──
  i64(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.constant(
      ELEM.int64,
      dims,
      BigInt64Array.from(values, (v) => BigInt(v)),
    );
  }
  f32(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.constant(ELEM.float, dims, Float32Array.from(values));
  }
  scalarF32(value: number): string {
    return this.f32([value], []);
  }
  scalarI64(value: number): string {
    return this.i64([value], []);
  }

  // ── elementwise ──
  add(a: string, b: string): string {
    return this.op('Add', [a, b])[0]!;
  }
  sub(a: string, b: string): string {
    return this.op('Sub', [a, b])[0]!;
  }
  mul(a: string, b: string): string {
    return this.op('Mul', [a, b])[0]!;
  }
  div(a: string, b: string): string {
    return this.op('Div', [a, b])[0]!;
  }
  pow(a: string, b: string): string {
    return this.op('Pow', [a, b])[0]!;
  }
  neg(x: string): string {
    return this.op('Neg', [x])[0]!;
  }
  sqrt(x: string): string {
    return this.op('Sqrt', [x])[0]!;
  }
  reciprocal(x: string): string {
    return this.op('Reciprocal', [x])[0]!;
  }
  exp(x: string): string {
    return this.op('Exp', [x])[0]!;
  }
  log(x: string): string {
    return this.op('Log', [x])[0]!;
  }
  tanh(x: string): string {
    return this.op('Tanh', [x])[0]!;
  }
  sigmoid(x: string): string {
    return this.op('Sigmoid', [x])[0]!;
  }
  erf(x: string): string {
    return this.op('Erf', [x])[0]!;
  }
  relu(x: string): string {
    return this.op('Relu', [x])[0]!;
  }
  cos(x: string): string {
    return this.op('Cos', [x])[0]!;
  }
  sin(x: string): string {
    return this.op('Sin', [x])[0]!;
  }
  abs(x: string): string {
    return this.op('Abs', [x])[0]!;
  }
  equal(a: string, b: string): string {
    return this.op('Equal', [a, b])[0]!;
  }
  less(a: string, b: string): string {
    return this.op('Less', [a, b])[0]!;
  }
  greater(a: string, b: string): string {
    return this.op('Greater', [a, b])[0]!;
  }
  lessOrEqual(a: string, b: string): string {
    return this.op('LessOrEqual', [a, b])[0]!;
  }
  or(a: string, b: string): string {
    return this.op('Or', [a, b])[0]!;
  }
  and(a: string, b: string): string {
    return this.op('And', [a, b])[0]!;
  }
  not(x: string): string {
    return this.op('Not', [x])[0]!;
  }
  where(cond: string, a: string, b: string): string {
    return this.op('Where', [cond, a, b])[0]!;
  }
  cast(x: string, to: ElemType): string {
    return this.op('Cast', [x], { to })[0]!;
  }
  identity(x: string): string {
    return this.op('Identity', [x])[0]!;
  }

  // ── linear algebra / reductions ──
  matMul(a: string, b: string): string {
    return this.op('MatMul', [a, b])[0]!;
  }
  softmax(x: string, axis = -1): string {
    return this.op('Softmax', [x], { axis })[0]!;
  }
  /** Opset 17 ReduceMean takes axes as an attribute. */
  reduceMean(x: string, axes: readonly number[], keepdims = 1): string {
    return this.op('ReduceMean', [x], { axes, keepdims })[0]!;
  }
  /** Opset 13+ ReduceSum takes axes as an input. */
  reduceSum(x: string, axes: readonly number[], keepdims = 1): string {
    return this.op('ReduceSum', [x, this.i64(axes)], { keepdims })[0]!;
  }
  reduceMax(x: string, axes: readonly number[], keepdims = 1): string {
    return this.op('ReduceMax', [x], { axes, keepdims })[0]!;
  }
  layerNorm(
    x: string,
    scale: string,
    bias: string | undefined,
    opts: { epsilon: number; axis?: number },
  ): string {
    const inputs = bias === undefined ? [x, scale] : [x, scale, bias];
    return this.op('LayerNormalization', inputs, {
      axis: opts.axis ?? -1,
      epsilon: { float: opts.epsilon },
    })[0]!;
  }
  topK(
    x: string,
    k: string,
    opts: { axis?: number; largest?: number; sorted?: number } = {},
  ): [string, string] {
    const [values, indices] = this.op(
      'TopK',
      [x, k],
      { axis: opts.axis ?? -1, largest: opts.largest, sorted: opts.sorted },
      { outputs: 2 },
    );
    return [values!, indices!];
  }
  argMax(x: string, axis = -1, keepdims = 0): string {
    return this.op('ArgMax', [x], { axis, keepdims })[0]!;
  }
}
