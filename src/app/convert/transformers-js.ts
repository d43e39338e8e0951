/**
 * The transformers.js layout inside the output directory. `AutoModelForCausalLM.from_pretrained(dir)` opens
 * `onnx/model{suffix}.onnx` (suffix '' for dtype fp32) and, when `config.json` → `transformers.js_config` →
 * `use_external_data_format` is set, fetches `onnx/model.onnx_data` beside it. It feeds only Optimum's names, so
 * the graph it gets is the fixed-operating-point one. ORT refuses external data outside the model's folder
 * (`../model.onnx.data` fails "escapes model directory"), so `onnx/model.onnx_data` is a hard link to the shared
 * `model.onnx.data` (no extra disk), or a byte copy where the filesystem has no hard links.
 */
import { copyFile, link, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeModel } from '../../onnx/builder.js';
import type { ModelProto } from '../../onnx/proto.js';
import { relocateExternalData } from '../../onnx/relocate.js';
import { GRAPH_FILES } from '../shared/manifest.js';
import type { GraphEntry } from '../shared/manifest-write.js';

export const TJS_MODEL = GRAPH_FILES.transformers_js;
export const TJS_DATA = 'onnx/model.onnx_data';

/** Filesystems without hard links (FAT, some network mounts, cross-device) answer with one of these. */
const NO_LINK = new Set(['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK', 'ENOSYS']);

/** Writes `onnx/model.onnx` (the fixed graph, data location renamed) and its `onnx/model.onnx_data`. */
export async function emitTransformersJsGraph(opts: {
  readonly dir: string;
  readonly fixed: ModelProto;
  /** The complete shared data file the fixed graph's offsets point into. */
  readonly dataFile: string;
}): Promise<GraphEntry> {
  await mkdir(join(opts.dir, 'onnx'), { recursive: true });
  writeModel(relocateExternalData(opts.fixed, 'model.onnx_data'), join(opts.dir, TJS_MODEL));
  const source = join(opts.dir, opts.dataFile);
  const target = join(opts.dir, TJS_DATA);
  await link(source, target).catch(async (err: NodeJS.ErrnoException) => {
    if (!NO_LINK.has(err.code ?? '')) throw err;
    await copyFile(source, target);
  });
  return { role: 'transformers_js', file: TJS_MODEL, data: TJS_DATA, io: { inputs: [], outputs: [] } };
}

/**
 * Adds `transformers.js_config` to the copied `config.json`: our graphs take float32 I/O whatever the weight
 * dtype (so `dtype: fp32`, file suffix ''), and the weights are external. Other config keys are kept as they are.
 */
export async function markConfigForTransformersJs(dir: string): Promise<void> {
  const path = join(dir, 'config.json');
  const config = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  config['transformers.js_config'] = { dtype: 'fp32', use_external_data_format: true };
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`);
}
