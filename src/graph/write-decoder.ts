/** Builds a decoder graph and writes `<name>.onnx` + `<name>.onnx.data` into a directory. */
import { join } from 'node:path';
import { ExternalDataWriter } from '../onnx/builder.js';
import { writeModel } from '../onnx/serialize.js';
import type { ModelIR } from '../ir/model.js';
import type { ModelProto } from '../onnx/proto.js';
import { buildDecoder, type DecoderOptions } from './decoder.js';

export interface WrittenGraph {
  readonly modelPath: string;
  readonly dataPath: string;
  /** Graph input and output names, in declaration order. */
  readonly io: { readonly inputs: string[]; readonly outputs: string[] };
  /** sha256 of the data file, computed as it was written. */
  readonly dataSha256: string;
  /** The graph as written (weights external, so small): for copies that point at another data file name. */
  readonly model: ModelProto;
}

export async function writeDecoder(
  ir: ModelIR,
  opts: Omit<DecoderOptions, 'data'> & { dir: string; fileName?: string; producerVersion?: string },
): Promise<WrittenGraph> {
  const modelPath = join(opts.dir, opts.fileName ?? 'model.onnx');
  const dataPath = `${modelPath}.data`;
  const data = new ExternalDataWriter(dataPath);
  try {
    const b = await buildDecoder(ir, { ...opts, data });
    const model = b.model({ producerVersion: opts.producerVersion });
    writeModel(model, modelPath);
    const names = (values: readonly { name?: string | null }[] | null | undefined) =>
      (values ?? []).map((v) => v.name ?? '');
    return {
      modelPath,
      dataPath,
      io: { inputs: names(model.graph?.input), outputs: names(model.graph?.output) },
      dataSha256: data.sha256(),
      model,
    };
  } finally {
    data.close();
  }
}
