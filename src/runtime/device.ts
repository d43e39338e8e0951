/**
 * Execution devices moefy can run graphs on. Kept apart from session.ts so the recipe schema and the planner can
 * name them without loading ONNX Runtime's native library.
 */
export const DEVICES = ['cpu', 'cuda'] as const;
export type Device = (typeof DEVICES)[number];

/** What to do when the CUDA execution provider cannot load. */
export const CUDA_INSTALL_HINT =
  'install the CUDA build of onnxruntime-node: `npm install onnxruntime-node --onnxruntime-node-install=cuda12` ' +
  '(needs CUDA 12 and cuDNN 9 libraries on the library path), or use --device cpu';
