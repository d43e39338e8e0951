/**
 * The ONNX Runtime adapter (the only importer of onnxruntime-node): sessions on a chosen device, runs, tensors.
 * Callers see `Session` and `Tensor` from here, never the binding's own module.
 */
import * as ort from 'onnxruntime-node';
import { RuntimeSetupError } from '../util/errors.js';
import { CUDA_INSTALL_HINT, type Device } from './device.js';

// The process-wide ORT logger prints a native error line when the CUDA provider library is missing, before our
// RuntimeSetupError says the same thing with the fix; every ORT failure also surfaces as a thrown error.
ort.env.logLevel = 'fatal';

export type Session = ort.InferenceSession;
export type Tensor = ort.Tensor;
export type Feeds = Record<string, Tensor>;

export interface SessionOptions {
  readonly device?: Device;
  /** Intra-op threads; ORT's default (all cores) when absent. */
  readonly threads?: number;
  /** 0 verbose … 4 fatal; default 3 (errors only: silences per-initializer warnings). */
  readonly logSeverity?: 0 | 1 | 2 | 3 | 4;
  /**
   * Graph optimizations (default true). Off, ORT neither folds constants nor prepacks weights: a one-off run
   * (the export's smoke test) then holds only the stored weights and a layer's worth of float32 temporaries.
   */
  readonly optimize?: boolean;
}

/**
 * Opens `model`: a path (external data is found beside it) or a model's bytes (its weights inline or fed as
 * inputs). `cuda` never falls back silently: it fails loudly.
 */
export async function createSession(model: string | Uint8Array, opts: SessionOptions = {}): Promise<Session> {
  const device = opts.device ?? 'cpu';
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: [device],
    logSeverityLevel: opts.logSeverity ?? 3,
    graphOptimizationLevel: opts.optimize === false ? 'disabled' : 'all',
  };
  if (opts.threads !== undefined) options.intraOpNumThreads = opts.threads;
  const open = () =>
    typeof model === 'string'
      ? ort.InferenceSession.create(model, options)
      : ort.InferenceSession.create(model, options);
  if (device === 'cpu') return open();
  const modelPath = typeof model === 'string' ? model : 'the model';
  try {
    return await open();
  } catch (err) {
    // ORT throws (no fallback) when the CUDA provider or its libraries are missing.
    throw new RuntimeSetupError(
      `${modelPath}: CUDA execution provider unavailable (${firstLine(err)}); ${CUDA_INSTALL_HINT}`,
      { cause: err },
    );
  }
}

/**
 * Why `device` cannot run graphs here, or null when it can: opens `probeModel` (a tiny ONNX model's bytes) on it,
 * the same way every session opens, so the answer holds for the real graphs.
 */
export async function deviceProblem(device: Device, probeModel: Uint8Array): Promise<string | null> {
  if (device === 'cpu') return null;
  try {
    const session = await ort.InferenceSession.create(probeModel, {
      executionProviders: [device],
      logSeverityLevel: 3,
    });
    await session.release();
    return null;
  } catch (err) {
    return firstLine(err);
  }
}

/** Runs the session; `outputs` limits what is fetched (default: every output). */
export async function run(
  session: Session,
  feeds: Feeds,
  outputs?: readonly string[],
): Promise<Record<string, Tensor>> {
  return outputs ? session.run(feeds, outputs as string[]) : session.run(feeds);
}

export async function releaseSession(session: Session): Promise<void> {
  await session.release();
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0] ?? '';
}
