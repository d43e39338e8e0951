/**
 * `moefy export`: checkpoint → the exact dense ONNX decoder (the baseline every MoE is measured against).
 * Written into a temp dir beside the target, loaded in ORT and run once, then renamed into place.
 */
import { basename } from 'node:path';
import { resolveCheckpoint } from '../checkpoint/resolve.js';
import { loadModelIR } from '../families/load.js';
import type { WeightDtype } from '../graph/context.js';
import { writeDecoder } from '../graph/write-decoder.js';
import type { ModelIR } from '../ir/model.js';
import { emptyPast, tokenFeeds } from '../runtime/decoder-feeds.js';
import { createSession, type Device, releaseSession, run } from '../runtime/session.js';
import { readFloat32 } from '../runtime/tensors.js';
import { assertWritableTarget, withAtomicDir } from '../util/atomic-dir.js';
import { InternalError } from '../util/errors.js';
import { type GraphIo, MANIFEST_FILE, writeDenseManifest } from './export-manifest.js';
import { VERSION } from './version.js';

export interface ExportOptions {
  readonly out: string;
  readonly withPast?: boolean;
  readonly dtype?: WeightDtype;
  readonly force?: boolean;
  readonly revision?: string;
  readonly offline?: boolean;
  /** Device for the smoke run (default cpu). */
  readonly device?: Device;
  /**
   * Load the graph in ORT and run four tokens before declaring success (default true). ORT holds its own
   * (prepacked) copy of the weights while it runs, so this step needs memory in proportion to the model; the
   * export itself streams tensor by tensor. `false` (`--no-verify`) is for models larger than the machine's memory.
   */
  readonly verify?: boolean;
}

export interface ExportResult {
  readonly outDir: string;
  readonly files: readonly string[];
  readonly io: GraphIo;
}

export async function exportDense(ref: string, opts: ExportOptions): Promise<ExportResult> {
  assertWritableTarget(opts.out, opts); // fail before downloading anything
  const checkpoint = await resolveCheckpoint(ref, { revision: opts.revision, offline: opts.offline });
  const ir = await loadModelIR(checkpoint.dir);
  const withPast = opts.withPast ?? false;
  const dtype = opts.dtype ?? 'float32';
  return withAtomicDir(opts.out, opts, async (dir) => {
    const graph = await writeDecoder(ir, { dir, withPast, dtype, producerVersion: VERSION });
    if (opts.verify !== false)
      await smokeRun({ ir, modelPath: graph.modelPath, withPast, device: opts.device ?? 'cpu' });
    const { io } = graph;
    const files = [basename(graph.modelPath), basename(graph.dataPath)];
    await writeDenseManifest({
      dir,
      checkpoint,
      ir,
      dtype,
      withPast,
      graph: { file: files[0]!, data: files[1]!, io },
    });
    return { outDir: opts.out, files: [...files, MANIFEST_FILE], io };
  });
}

/** Loads the graph in ORT and runs four tokens: proves the files are complete and the graph executes. */
async function smokeRun(s: {
  ir: ModelIR;
  modelPath: string;
  withPast: boolean;
  device: Device;
}): Promise<void> {
  const c = s.ir.config;
  const session = await createSession(s.modelPath, { device: s.device });
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
