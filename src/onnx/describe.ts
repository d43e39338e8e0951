/**
 * What an ONNX file contains, for `moefy inspect file.onnx`: opsets, I/O with their shapes, the operators used, and
 * where the weights live (inline bytes vs external data files). The file is untrusted input: size-limited, and a
 * protobuf that does not decode is a CheckpointFormatError naming it.
 */
import { readFile, stat } from 'node:fs/promises';
import { CheckpointFormatError, InputError } from '../util/errors.js';
import { printable } from '../util/untrusted-text.js';
import { onnx, type ModelProto, type TensorProto, type ValueInfoProto } from './proto.js';

/** ORT refuses protobufs past 2 GiB; anything bigger is not a model we can describe. */
export const MAX_ONNX_BYTES = 2 ** 31;

export interface OnnxValue {
  readonly name: string;
  readonly type: string;
  readonly shape: (number | string)[];
}

export interface OnnxDescription {
  readonly file: string;
  readonly irVersion: number;
  readonly opsets: Record<string, number>;
  readonly producer: string;
  readonly graph: string;
  readonly inputs: OnnxValue[];
  readonly outputs: OnnxValue[];
  readonly nodes: number;
  /** Operator type → node count, most used first. */
  readonly operators: [string, number][];
  readonly initializers: {
    count: number;
    inlineBytes: number;
    externalBytes: number;
    externalFiles: string[];
  };
  readonly metadata: Record<string, string>;
}

export async function describeOnnxFile(file: string): Promise<OnnxDescription> {
  const size = await stat(file).then(
    (s) => s.size,
    (err: NodeJS.ErrnoException) => {
      throw new InputError(`${file}: cannot read (${err.code ?? err.message}); expected an ONNX file`);
    },
  );
  if (size > MAX_ONNX_BYTES)
    throw new CheckpointFormatError(file, `${size} bytes: larger than any ONNX protobuf`);
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(await readFile(file));
  } catch (err) {
    throw new CheckpointFormatError(file, `not an ONNX model (${printable((err as Error).message)})`);
  }
  const graph = model.graph ?? {};
  return {
    file,
    irVersion: Number(model.irVersion ?? 0),
    opsets: Object.fromEntries(
      (model.opsetImport ?? []).map((o) => [o.domain || 'ai.onnx', Number(o.version)]),
    ),
    producer: `${model.producerName ?? ''} ${model.producerVersion ?? ''}`.trim(),
    graph: graph.name ?? '',
    inputs: (graph.input ?? []).map(describeValue),
    outputs: (graph.output ?? []).map(describeValue),
    nodes: graph.node?.length ?? 0,
    operators: countOperators(graph.node ?? []),
    initializers: describeInitializers(graph.initializer ?? []),
    metadata: Object.fromEntries((model.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? ''])),
  };
}

function describeValue(v: ValueInfoProto): OnnxValue {
  const tensor = v.type?.tensorType;
  const elem = tensor?.elemType ?? 0;
  return {
    name: v.name ?? '',
    type: onnx.TensorProto.DataType[elem] ?? String(elem),
    shape: (tensor?.shape?.dim ?? []).map((d) => d.dimParam || Number(d.dimValue ?? 0)),
  };
}

function countOperators(nodes: readonly { opType?: string | null }[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const n of nodes) counts.set(n.opType ?? '?', (counts.get(n.opType ?? '?') ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

function describeInitializers(inits: readonly TensorProto[]): OnnxDescription['initializers'] {
  let inlineBytes = 0;
  let externalBytes = 0;
  const files = new Set<string>();
  for (const t of inits) {
    const external = new Map<string, string>((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
    if (external.size === 0) {
      inlineBytes += t.rawData?.length ?? 0;
      continue;
    }
    externalBytes += Number(external.get('length') ?? 0);
    files.add(external.get('location') ?? '');
  }
  return { count: inits.length, inlineBytes, externalBytes, externalFiles: [...files].sort() };
}
