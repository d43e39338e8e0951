/**
 * A graph's I/O names from its proto (what ORT reports: our graphs never list initializers as inputs). Not from an
 * ORT session: opening a whole graph holds the whole model in RAM, which a layer-sequential run must never do; the
 * evaluation's sessions and the ONNX checker in the tests prove the graphs load.
 */
import type { ModelProto } from '../../onnx/proto.js';
import type { GraphEntry } from '../shared/manifest-write.js';

export function protoIo(proto: ModelProto): GraphEntry['io'] {
  const names = (values: readonly { name?: string | null }[] | null | undefined) =>
    (values ?? []).map((v) => v.name ?? '');
  return { inputs: names(proto.graph?.input), outputs: names(proto.graph?.output) };
}
