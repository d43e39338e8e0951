/**
 * `moefy export`: checkpoint → the exact dense ONNX decoder (the baseline every MoE is measured against), in a
 * folder loaders recognise: the checkpoint's config, generation config and tokenizer beside the graph, and
 * `onnx/model.onnx` for transformers.js. Written into a temp dir beside the target, checked in ORT (the same graph
 * cut to two layers), then renamed into place.
 */
import { basename, join } from 'node:path';
import { hashInBackground, resolveCheckpoint } from '../../checkpoint/resolve.js';
import { loadModelIR } from '../../families/load.js';
import type { WeightDtype } from '../../graph/context.js';
import { resolveWeightDtype } from '../../graph/weights.js';
import { writeDecoder } from '../../graph/write-decoder.js';
import type { Device } from '../../runtime/device.js';
import { assertWritableTarget, withAtomicDir } from '../../util/atomic-dir.js';
import { MANIFEST_FILE } from '../shared/manifest.js';
import type { GraphIo } from '../shared/manifest-write.js';
import { writeDenseManifest } from './manifest.js';
import { VERSION } from '../shared/version.js';
import type { ModelProto } from '../../onnx/proto.js';
import { carryCheckpointFiles } from '../shared/carried-files.js';
import { emitTransformersJsGraph, markConfigForTransformersJs } from '../convert/transformers-js.js';

export interface ExportOptions {
  readonly out: string;
  readonly withPast?: boolean;
  /** Stored weight precision; `auto` (default) keeps the checkpoint's own float format. */
  readonly dtype?: WeightDtype | 'auto';
  readonly force?: boolean;
  readonly revision?: string;
  readonly offline?: boolean;
  /** Device for the smoke run (default cpu). */
  readonly device?: Device;
  /**
   * Build the same graph cut to its first two layers, load it in ORT and run four tokens before declaring success
   * (default true; memory bounded by two layers plus embedding and head). `false` is `--no-verify`.
   */
  readonly verify?: boolean;
}

export interface ExportResult {
  readonly outDir: string;
  readonly files: readonly string[];
  readonly io: GraphIo;
  /** What the ORT check ran, in words; null with --no-verify. */
  readonly checked: string | null;
}

export async function exportDense(ref: string, opts: ExportOptions): Promise<ExportResult> {
  assertWritableTarget(opts.out, opts); // fail before downloading anything
  const checkpoint = await resolveCheckpoint(ref, { revision: opts.revision, offline: opts.offline });
  hashInBackground(checkpoint.files.map((f) => f.path)); // the manifest's source hashes, beside the conversion
  const ir = await loadModelIR(checkpoint.dir);
  const withPast = opts.withPast ?? false;
  const dtype = resolveWeightDtype(opts.dtype, ir);
  return withAtomicDir(opts.out, opts, async (dir) => {
    const graph = await writeDecoder(ir, { dir, withPast, dtype, producerVersion: VERSION });
    let checked: string | null = null;
    if (opts.verify !== false) {
      // Loaded only here: ONNX Runtime's native library is tens of MB a --no-verify export never needs.
      const { verifyExport } = await import('./smoke.js');
      const scratch = join(dir, '.verify'); // inside the temp dir: never left in a finished output
      checked = await verifyExport({ ir, dtype, withPast, device: opts.device ?? 'cpu', scratch });
    }
    const { io } = graph;
    const files = [basename(graph.modelPath), basename(graph.dataPath)];
    const carried = await carryCheckpointFiles(checkpoint.files, dir);
    const loaders = carried.includes('config.json')
      ? await transformersJsLayout({ dir, model: graph.model, dataFile: files[1]! })
      : [];
    await writeDenseManifest({
      dir,
      checkpoint,
      ir,
      dtype,
      withPast,
      graph: { file: files[0]!, data: files[1]!, io, dataSha256: graph.dataSha256 },
    });
    return { outDir: opts.out, files: [...files, ...loaders, ...carried, MANIFEST_FILE], io, checked };
  });
}

/** `onnx/model.onnx` (+ its data, hard-linked) and the config flags transformers.js reads. */
async function transformersJsLayout(a: {
  dir: string;
  model: ModelProto;
  dataFile: string;
}): Promise<string[]> {
  const entry = await emitTransformersJsGraph({ dir: a.dir, fixed: a.model, dataFile: a.dataFile });
  await markConfigForTransformersJs(a.dir);
  return [entry.file, entry.data];
}
