/**
 * Weights as graph inputs instead of initializers: a graph built with this sink declares each float32 weight as an
 * input of the same name and keeps its bytes here, for the caller to feed at every run. A session of such a graph
 * holds no weights, so opening it neither reads a data file nor folds or prepacks anything: it costs milliseconds
 * where a decoder layer's initializers cost a second or more (layer-sequential runs open one per layer, on CPU).
 * A bfloat16 weight (stored bf16, then Cast to float by the builder: nothing computes in bf16) is declared a
 * float32 input and fed widened, which is exact: its Cast becomes a float → float no-op and the graph computes what
 * the stored one computes (the binding cannot feed bfloat16). Other element types stay initializers, inline:
 * float16 (an fp16 precision computes in it), integers and quantized blocks.
 *
 * Several graphs may share one sink, as graphs share one external data file (pipeline/part-session.ts `openParts`:
 * one decoder layer's dense, input-choice, router and oracle graphs): a name holds one tensor, so a weight added
 * again keeps the bytes it was first added with, and `segment` tells the builder which nested expert blocks are
 * already here (graph/expert-weights.ts then references them instead of reading and cutting the checkpoint again).
 */
import { InternalError } from '../util/errors.js';
import { checkBytes } from './tensor.js';
import { ELEM, type ElemType } from './dtype.js';
import type { Segment, TensorBytes } from './external-data.js';

export interface WeightInput {
  readonly name: string;
  readonly dims: readonly number[];
  /** The values as the builder stored them, row-major; chunked bytes are read only when the caller feeds them. */
  readonly bytes: TensorBytes;
  /** The bytes' format: float32, or bfloat16 values the feed widens to float32. */
  readonly stored: 'F32' | 'BF16';
}

const STORED: Partial<Record<ElemType, WeightInput['stored']>> = {
  [ELEM.float]: 'F32',
  [ELEM.bfloat16]: 'BF16',
};

export class WeightInputs {
  readonly weights: WeightInput[] = [];
  private readonly byName = new Map<string, WeightInput>();

  /** Whether a weight of `type` becomes a (float32) input: float32 and bfloat16 weights do. */
  takes(type: ElemType): boolean {
    return STORED[type] !== undefined;
  }

  add(name: string, type: ElemType, dims: readonly number[], bytes: TensorBytes): void {
    const stored = STORED[type];
    if (!stored)
      throw new InternalError(`weight input ${name}: element type ${type} is neither float32 nor bfloat16`);
    checkBytes(name, type, dims, bytes.byteLength);
    const known = this.byName.get(name);
    if (known) return checkSame(known, { name, dims, stored, byteLength: bytes.byteLength });
    const weight = { name, dims: [...dims], bytes, stored };
    this.weights.push(weight);
    this.byName.set(name, weight);
  }

  /** Where weight `name` is, when a graph sharing this sink added it: its stored bytes (the file sink's answer). */
  segment(name: string): Segment | undefined {
    const known = this.byName.get(name);
    return known && { offset: 0, length: known.bytes.byteLength };
  }
}

/** A name added twice must name the same tensor (as `ExternalDataWriter.put` checks a rewritten key). */
function checkSame(
  known: WeightInput,
  again: { name: string; dims: readonly number[]; stored: WeightInput['stored']; byteLength: number },
): void {
  const same =
    known.stored === again.stored &&
    known.bytes.byteLength === again.byteLength &&
    known.dims.length === again.dims.length &&
    known.dims.every((d, i) => d === again.dims[i]);
  if (!same) {
    throw new InternalError(
      `weight input ${again.name}: added again as ${again.stored} [${again.dims.join(', ')}], was ${known.stored} [${known.dims.join(', ')}]`,
    );
  }
}
