/**
 * Execution devices moefy can run graphs on. Kept apart from session.ts so the recipe schema and the planner can
 * name them without loading ONNX Runtime's native library.
 */
export const DEVICES = ['cpu', 'cuda'] as const;
export type Device = (typeof DEVICES)[number];
