/** The export's load-and-run check, in its own module so ONNX Runtime loads only when it runs. */
import type { ModelIR } from '../ir/model.js';
import { emptyPast, tokenFeeds } from '../runtime/decoder-feeds.js';
import { createSession, type Device, releaseSession, run } from '../runtime/session.js';
import { readFloat32 } from '../runtime/tensors.js';
import { InternalError } from '../util/errors.js';

/** Loads the graph in ORT and runs four tokens: proves the files are complete and the graph executes. */
export async function smokeRun(s: {
  ir: ModelIR;
  modelPath: string;
  withPast: boolean;
  device: Device;
}): Promise<void> {
  const c = s.ir.config;
  const session = await createSession(s.modelPath, { device: s.device, optimize: false });
  try {
    const ids = [[0, 1, 2, 3].map((t) => t % c.vocabSize)];
    const past = s.withPast
      ? emptyPast({ layers: c.numLayers, kvHeads: c.numKvHeads, headDim: c.headDim }, 1)
      : {};
    const out = await run(session, { ...tokenFeeds({ ids }), ...past });
    const logits = out.logits ? readFloat32(out.logits) : new Float32Array(0);
    if (logits.length !== 4 * c.vocabSize || !logits.every(Number.isFinite)) {
      throw new InternalError(
        `${s.modelPath}: smoke run gave ${logits.length} logits (expected ${4 * c.vocabSize} finite values)`,
      );
    }
  } finally {
    await releaseSession(session);
  }
}
