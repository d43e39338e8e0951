/**
 * Runs the official ONNX checker (Debian's python3-onnx 1.12, opset ≤ 17 / IR ≤ 8) with full shape inference.
 * Debian's packages serve Debian's interpreter, hence /usr/bin/python3 rather than whatever is first on PATH.
 */
import { execFileSync } from 'node:child_process';

// check_model(path, full_check=True) would write the shape-inferred model back over the file (onnx 1.12's
// infer_shapes_path defaults output_path to the input), breaking byte-identity checks: infer into a temp file.
const SCRIPT = [
  'import os, sys, tempfile, onnx',
  'onnx.checker.check_model(sys.argv[1])',
  'with tempfile.TemporaryDirectory() as d:',
  '    onnx.shape_inference.infer_shapes_path(sys.argv[1], os.path.join(d, "m.onnx"), check_type=True, strict_mode=True)',
].join('\n');

/** Throws with the checker's message when `modelPath` is not a valid model. */
export function checkOnnxModel(modelPath: string): void {
  try {
    execFileSync('/usr/bin/python3', ['-c', SCRIPT, modelPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const stderr = String((err as { stderr?: Buffer }).stderr ?? '');
    const last = stderr.trim().split('\n').slice(-3).join('\n');
    throw new Error(`onnx checker rejected ${modelPath}:\n${last}`, { cause: err });
  }
}
