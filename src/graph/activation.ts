/** FFN activations with HF's exact formulas (the MoE FFN uses the same ones). */
import type { GraphBuilder } from '../onnx/builder.js';
import type { Activation } from '../ir/model.js';

export function activation(b: GraphBuilder, kind: Activation, x: string): string {
  switch (kind) {
    case 'silu':
      return b.mul(x, b.sigmoid(x));
    case 'relu':
      return b.relu(x);
    case 'gelu': // exact: 0.5 · x · (1 + erf(x / √2))
      return b.mul(
        b.mul(x, b.scalarF32(0.5)),
        b.add(b.scalarF32(1), b.erf(b.div(x, b.scalarF32(Math.SQRT2)))),
      );
    case 'gelu_new':
    case 'gelu_pytorch_tanh': // 0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))
      return geluTanh(b, x);
  }
}

function geluTanh(b: GraphBuilder, x: string): string {
  const cube = b.pow(x, b.scalarF32(3));
  const inner = b.mul(b.scalarF32(Math.sqrt(2 / Math.PI)), b.add(x, b.mul(b.scalarF32(0.044715), cube)));
  return b.mul(b.mul(b.scalarF32(0.5), x), b.add(b.scalarF32(1), b.tanh(inner)));
}
