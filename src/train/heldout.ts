/** Held-out loss: the loss graph over fixed held-out rows, in chunks whose tensors are built once. */
import { LOSS_OUTPUT, type RouterGraphShape, batchName } from '../graph/router-train-io.js';
import { type Feeds, type Session, run } from '../runtime/session.js';
import { float32Tensor, readFloat32 } from '../runtime/tensors.js';
import { gatherRows } from './data.js';
import type { StateTensors } from './state.js';
import type { LayerRows } from './types.js';

/** Rows per evaluation run: bounds the loss graph's activation memory. */
const EVAL_CHUNK = 4096;

export interface HeldoutSet {
  readonly chunks: readonly { readonly feeds: Feeds; readonly rows: number }[];
}

export function heldoutSet(
  rows: readonly LayerRows[],
  indices: Int32Array,
  shape: RouterGraphShape,
): HeldoutSet {
  const chunks = [];
  for (let start = 0; start < indices.length; start += EVAL_CHUNK) {
    const part = indices.subarray(start, start + EVAL_CHUNK);
    const feeds: Feeds = {};
    rows.forEach((layer, l) => {
      const { x, z } = gatherRows(layer, part, shape);
      feeds[batchName(l, 'x')] = float32Tensor(x, [part.length, shape.d]);
      feeds[batchName(l, 'target')] = float32Tensor(z, [part.length, shape.outputs]);
    });
    chunks.push({ feeds, rows: part.length });
  }
  return { chunks };
}

/** Mean over layers of each layer's mean loss over every held-out row (chunks weighted by rows). */
export async function heldoutLoss(session: Session, set: HeldoutSet, params: StateTensors): Promise<number> {
  let sum = 0;
  let rows = 0;
  for (const chunk of set.chunks) {
    const out = await run(session, { ...params, ...chunk.feeds }, [LOSS_OUTPUT]);
    sum += readFloat32(out[LOSS_OUTPUT]!)[0]! * chunk.rows;
    rows += chunk.rows;
  }
  return sum / rows;
}
