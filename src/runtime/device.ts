/**
 * Execution devices moefy can run graphs on. Kept apart from session.ts so the recipe schema and the planner can
 * name them without loading ONNX Runtime's native library.
 */
export const DEVICES = ['cpu', 'cuda'] as const;
export type Device = (typeof DEVICES)[number];

/** The README's "CUDA" command: onnxruntime-node's own install script, asked for its CUDA 12 files. */
export const CUDA_INSTALL_COMMAND =
  'ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js';

export const CUDA_INSTALL_HINT =
  `install the CUDA build of onnxruntime-node: \`${CUDA_INSTALL_COMMAND}\` ` +
  '(needs CUDA 12 and cuDNN 9 libraries on the library path), or use --device cpu';
