/** Writes a ModelProto to disk in bounded chunks (weights are external, so the protobuf itself stays small). */
import { closeSync, openSync } from 'node:fs';
import { writeAll } from './external-data.js';
import { onnx, type ModelProto } from './proto.js';

export function encodeModel(model: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.fromObject(model)).finish();
}

export function writeModel(model: ModelProto, path: string): void {
  const bytes = encodeModel(model);
  const fd = openSync(path, 'w');
  try {
    writeAll(fd, bytes, 0);
  } finally {
    closeSync(fd);
  }
}
