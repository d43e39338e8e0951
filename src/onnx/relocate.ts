/**
 * Points a model's external initializers at another data file name. ORT resolves `location` relative to the model
 * file and refuses any path that leaves its directory, so a copy of a graph in a subfolder (transformers.js reads
 * `onnx/model.onnx`) needs a data file beside it under its own name, with the same offsets.
 */
import type { ModelProto, TensorProto } from './proto.js';

export function relocateExternalData(model: ModelProto, location: string): ModelProto {
  const relocate = (t: TensorProto): TensorProto =>
    t.externalData
      ? {
          ...t,
          externalData: t.externalData.map((e) => (e.key === 'location' ? { ...e, value: location } : e)),
        }
      : t;
  return { ...model, graph: { ...model.graph, initializer: (model.graph?.initializer ?? []).map(relocate) } };
}
