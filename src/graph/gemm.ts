/**
 * A float64 matrix product on ORT for the ridge solves of expert adaptation (experts/spd-inverse.ts): ORT's
 * double GEMM (MLAS, every intra-op thread) is ~60× a plain JS loop, and the solves are O(n³) in the FFN width
 * (n up to 14336 at 8B). `C = alpha · op(A) · op(B) (+ C0)`, op = transpose when asked; dims are symbolic, so one
 * graph serves every block size.
 */
import { ELEM, GraphBuilder } from '../onnx/builder.js';

export const GEMM_INPUTS = { a: 'a', b: 'b', c: 'c' } as const;
export const GEMM_OUTPUT = 'y';

export interface GemmForm {
  readonly transA: boolean;
  readonly transB: boolean;
  readonly alpha: number;
  /** Adds the input `c` [m, n]. */
  readonly addC: boolean;
}

export function buildGemm(f: GemmForm): GraphBuilder {
  const b = new GraphBuilder('gemm');
  const a = b.input(GEMM_INPUTS.a, ELEM.double, f.transA ? ['k', 'm'] : ['m', 'k']);
  const x = b.input(GEMM_INPUTS.b, ELEM.double, f.transB ? ['n', 'k'] : ['k', 'n']);
  const inputs = [a, x];
  if (f.addC) inputs.push(b.input(GEMM_INPUTS.c, ELEM.double, ['m', 'n']));
  const [y] = b.op('Gemm', inputs, {
    alpha: { float: f.alpha },
    beta: { float: 1 },
    transA: f.transA ? 1 : 0,
    transB: f.transB ? 1 : 0,
  });
  b.output(GEMM_OUTPUT, y!, ELEM.double, ['m', 'n']);
  return b;
}
