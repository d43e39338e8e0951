/** The ONNX Runtime version in use, recorded in reports beside the timings it produced. */
import * as ort from 'onnxruntime-node';

export function runtimeVersion(): string {
  return ort.env.versions.node ?? ort.env.versions.common;
}
