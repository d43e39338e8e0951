/**
 * The export's load-and-run check, in its own module so ONNX Runtime loads only when it runs. ORT holds a model's
 * weights as float32 while it runs it (2× a bf16 checkpoint), so the check does not load the exported model: it
 * builds the same graph from the same weights and code, cut to its first layers, in a scratch dir, and runs that.
 * Memory then stays bounded by a few layers plus the embedding and head, whatever the model's depth.
 */
import { mkdir, rm } from 'node:fs/promises';
import type { WeightDtype } from '../../graph/context.js';
import { LOGITS } from '../../graph/names.js';
import { writeDecoder } from '../../graph/write-decoder.js';
import type { ModelIR } from '../../ir/model.js';
import { emptyPast, tokenFeeds } from '../../runtime/decoder-feeds.js';
import type { Device } from '../../runtime/device.js';
import { createSession, releaseSession, run } from '../../runtime/session.js';
import { readFloat32 } from '../../runtime/tensors.js';
import { InternalError } from '../../util/errors.js';

/** Layers in the checked graph: two, so one layer's output feeds another. */
const CHECKED_LAYERS = 2;
const SMOKE_TOKENS = 4;

/** Builds the model cut to its first layers under `scratch`, runs it in ORT, then deletes it; what it checked. */
export async function verifyExport(v: {
  ir: ModelIR;
  dtype: WeightDtype;
  withPast: boolean;
  device: Device;
  scratch: string;
}): Promise<string> {
  const layers = v.ir.layers.slice(0, CHECKED_LAYERS);
  const ir: ModelIR = { ...v.ir, config: { ...v.ir.config, numLayers: layers.length }, layers };
  try {
    await mkdir(v.scratch);
    const graph = await writeDecoder(ir, { dir: v.scratch, withPast: v.withPast, dtype: v.dtype });
    await smokeRun({ ir, modelPath: graph.modelPath, withPast: v.withPast, device: v.device });
    return (
      `the same graph cut to its first ${layers.length} layers loaded in ONNX Runtime (${v.device}) and run on ` +
      `${SMOKE_TOKENS} tokens: ${SMOKE_TOKENS} × ${v.ir.config.vocabSize} finite logits`
    );
  } finally {
    await rm(v.scratch, { recursive: true, force: true });
  }
}

/** Loads the graph in ORT and runs four tokens: proves the graph is complete and executes. */
async function smokeRun(s: {
  ir: ModelIR;
  modelPath: string;
  withPast: boolean;
  device: Device;
}): Promise<void> {
  const c = s.ir.config;
  const session = await createSession(s.modelPath, { device: s.device, optimize: false });
  try {
    const ids = [Array.from({ length: SMOKE_TOKENS }, (_, t) => t % c.vocabSize)];
    const past = s.withPast
      ? emptyPast({ layers: c.numLayers, kvHeads: c.numKvHeads, headDim: c.headDim }, 1)
      : {};
    const out = await run(session, { ...tokenFeeds({ ids }), ...past });
    const logits = out[LOGITS] ? readFloat32(out[LOGITS]) : new Float32Array(0);
    if (logits.length !== SMOKE_TOKENS * c.vocabSize || !logits.every(Number.isFinite)) {
      throw new InternalError(
        `${s.modelPath}: smoke run gave ${logits.length} logits (expected ${SMOKE_TOKENS * c.vocabSize} finite values)`,
      );
    }
  } finally {
    await releaseSession(session);
  }
}
