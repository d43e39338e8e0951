/**
 * The transformers.js layout inside the output directory. `AutoModelForCausalLM.from_pretrained(dir)` opens
 * `onnx/model{suffix}.onnx` (suffix '' for dtype fp32) and, when `config.json` → `transformers.js_config` →
 * `use_external_data_format` is set, fetches `onnx/model.onnx_data` beside it. It feeds only Optimum's names, so
 * the graph it gets is the fixed-operating-point one. ORT refuses external data outside the model's folder
 * (`../model.onnx.data` fails "escapes model directory"), so `onnx/model.onnx_data` is a hard link to the shared
 * `model.onnx.data` (no extra disk), or a byte copy where the filesystem has no hard links.
 */
import { copyFile, link, mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { writeModel } from '../../onnx/builder.js';
import type { ModelProto } from '../../onnx/proto.js';
import type { Precision } from '../../ir/precision.js';
import { relocateExternalData } from '../../onnx/relocate.js';
import { graphFile } from '../shared/manifest.js';
import type { GraphEntry } from '../shared/manifest-write.js';

/** `onnx/model{suffix}.onnx` and its `onnx/model{suffix}.onnx_data`, the names `dtype` selects. */
function transformersJsFiles(precision: Precision): { model: string; data: string } {
  const model = graphFile('transformers_js', precision);
  return { model, data: `${model}_data` };
}

/** Filesystems without hard links (FAT, some network mounts, cross-device) answer with one of these. */
const NO_LINK = new Set(['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK', 'ENOSYS']);

/** Writes `onnx/model{suffix}.onnx` (the fixed graph, data location renamed) and its data file beside it. */
export async function emitTransformersJsGraph(opts: {
  readonly dir: string;
  readonly fixed: ModelProto;
  /** The complete shared data file the fixed graph's offsets point into. */
  readonly dataFile: string;
  readonly precision?: Precision;
}): Promise<GraphEntry> {
  const precision = opts.precision ?? 'fp32';
  const files = transformersJsFiles(precision);
  await mkdir(join(opts.dir, 'onnx'), { recursive: true });
  writeModel(relocateExternalData(opts.fixed, basename(files.data)), join(opts.dir, files.model));
  const source = join(opts.dir, opts.dataFile);
  const target = join(opts.dir, files.data);
  await link(source, target).catch(async (err: NodeJS.ErrnoException) => {
    if (!NO_LINK.has(err.code ?? '')) throw err;
    await copyFile(source, target);
  });
  return {
    role: 'transformers_js',
    file: files.model,
    data: files.data,
    dtype: precision,
    io: { inputs: [], outputs: [] },
  };
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
