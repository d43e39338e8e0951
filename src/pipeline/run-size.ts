/**
 * How big one ORT run of a part graph may be. Light (no runtime import): `moefy plan` prices runs with it.
 */
import { layerParams } from '../ir/flops.js';
import type { ModelIR } from '../ir/model.js';

/**
 * The most work one ORT run of a part may do (about 0.5–1 s on an idle 2-core CPU): onnxruntime-node runs a session
 * synchronously on the JavaScript thread, so a SIGINT is handled only after the run in progress; at kjv-llama's
 * size the cap never binds (its batches stay what the whole graph ran). 1e11 let a SIGINT wait 12 s on a loaded
 * box at the 1.1B shape.
 */
export const MAX_RUN_FLOPS = 3e10;

/** Windows per run: `upTo`, fewer when one decoder layer over that many tokens would pass MAX_RUN_FLOPS. */
export function windowsPerRun(ir: ModelIR, a: { readonly seqLen: number; readonly upTo: number }): number {
  const ffnKind = ir.layers[0]?.ffn.kind ?? 'gated';
  const flopsPerToken = 2 * layerParams(ir.config, ffnKind);
  return Math.max(1, Math.min(a.upTo, Math.floor(MAX_RUN_FLOPS / flopsPerToken / a.seqLen)));
}
