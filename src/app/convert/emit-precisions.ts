/**
 * The graphs of every precision the plan lists besides fp32 (output.dtypes; the fp32 set is emit.ts's): per
 * precision p its MoE graphs (emit-moe.ts: router `model{s}.onnx`, fixed `model_fixed{s}.onnx`, transformers.js
 * `onnx/model{s}.onnx`) and the dense baseline `dense{s}.onnx` (file names: manifest.ts graphFile). The input-choice and oracle graphs stay fp32 only: static
 * slices and the oracle are baselines of routing, not of precision. The dense baseline of a precision holds its FFN
 * neurons in the MoE's order (same function): a 4-bit block then quantizes the same 32 neurons in both, so routing
 * is compared on equal weights; the adapted experts' own down projections (experts.adapt) are quantized like every
 * other linear, so threshold 0 (the full, unadapted expert) is still that dense graph. Each precision is written
 * from the checkpoint, one tensor at a time, like fp32.
 */
import { permutedFfnIr } from '../../experts/permuted-ir.js';
import type { WeightDtype } from '../../graph/context.js';
import { writeDecoder } from '../../graph/write-decoder.js';
import { storageDtype } from '../../graph/precision/storage-dtype.js';
import type { Precision } from '../../ir/precision.js';
import { graphFile, type GraphRole } from '../shared/manifest.js';
import { VERSION } from '../shared/version.js';
import { type EmittedGraphs, emitMoeGraphs, type MoeInput } from './emit-moe.js';

/** What emit.ts hands over: the conversion's experts and routers, and the fp32 graphs' weight dtype. */
export interface PrecisionInput extends MoeInput {
  readonly dtype: WeightDtype;
}

interface Variant {
  readonly precision: Precision;
  readonly dtype: WeightDtype;
  readonly roles: ReadonlySet<GraphRole>;
}

/** Graph entries of each non-fp32 precision, in the plan's order. */
export async function emitPrecisions(input: PrecisionInput): Promise<EmittedGraphs> {
  const out: EmittedGraphs = { graphs: [], known: {} };
  const planned = input.plan.stages.emit.graphs.filter((g) => g.dtype !== 'fp32');
  for (const precision of [...new Set(planned.map((g) => g.dtype))]) {
    const roles = new Set(planned.filter((g) => g.dtype === precision).map((g) => g.role));
    const v: Variant = { precision, dtype: storageDtype(precision, input.dtype), roles };
    const moe = await emitMoeGraphs(input, v);
    out.graphs.push(...moe.graphs);
    Object.assign(out.known, moe.known);
    if (roles.has('dense')) await emitDense(input, v, out);
  }
  return out;
}

async function emitDense(input: PrecisionInput, v: Variant, out: EmittedGraphs): Promise<void> {
  const fileName = graphFile('dense', v.precision);
  input.stage.note(fileName);
  const dense = await writeDecoder(permutedFfnIr(input.model.ir, input.perms), {
    dir: input.dir,
    fileName,
    withPast: true,
    dtype: v.dtype,
    precision: v.precision,
    producerVersion: VERSION,
  });
  const data = `${fileName}.data`;
  out.known[data] = dense.dataSha256;
  out.graphs.push({
    role: 'dense',
    file: fileName,
    data,
    dtype: v.precision,
    io: dense.io,
  });
}
