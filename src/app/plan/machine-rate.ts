/**
 * How fast this machine runs ONNX Runtime right now, measured in about a second so that the plan's times hold on
 * the user's machine and under its current load (issue #14: `plan` tells the truth). The same 2-core box ran one
 * 8B calibration 2× faster quiet than with other work beside it: no constant can price both.
 *
 * The probe is one FFN-sized MatMul, its weight fed as an input as the layer-sequential parts feed theirs on CPU
 * (src/onnx/weight-inputs.ts), timed over several runs after a warm-up. The mean, not the median: on a shared
 * machine the slow runs (a thread descheduled mid-GEMM) are what a long conversion meets too.
 */
import type { Device } from '../../runtime/device.js';

/** Tokens × hidden × FFN of the probe: TinyLlama's up projection over 256 tokens (5.9 GFLOP a run). */
export const PROBE_SHAPE = { tokens: 256, hidden: 2048, ffn: 5632 } as const;
const WARMUP_RUNS = 1;
const TIMED_RUNS = 8;

export interface MachineRate {
  /** The probe's mean float32 MatMul throughput, FLOP/s. */
  readonly flopsPerSecond: number;
  readonly device: Device;
}

/** Measures the probe on `device`; null when the device cannot run it (the plan refuses that device anyway). */
export async function measureMachineRate(device: Device): Promise<MachineRate | null> {
  const { createSession, releaseSession, run } = await import('../../runtime/session.js');
  const { float32Tensor } = await import('../../runtime/tensors.js');
  const { ELEM, GraphBuilder, encodeModel } = await import('../../onnx/builder.js');
  const { tokens, hidden, ffn } = PROBE_SHAPE;
  const b = new GraphBuilder('machine-rate-probe');
  const x = b.input('x', ELEM.float, [tokens, hidden]);
  const w = b.input('w', ELEM.float, [hidden, ffn]);
  b.output('y', b.op('MatMul', [x, w])[0]!, ELEM.float, [tokens, ffn]);
  let session;
  try {
    session = await createSession(encodeModel(b.model()), { device });
  } catch {
    return null;
  }
  try {
    // Normal non-zero values: a GEMM's time does not depend on them (no denormals, no sparsity paths).
    const feeds = {
      x: float32Tensor(new Float32Array(tokens * hidden).fill(0.25), [tokens, hidden]),
      w: float32Tensor(new Float32Array(hidden * ffn).fill(0.01), [hidden, ffn]),
    };
    for (let i = 0; i < WARMUP_RUNS; i++) await run(session, feeds);
    const start = performance.now();
    for (let i = 0; i < TIMED_RUNS; i++) await run(session, feeds);
    const seconds = (performance.now() - start) / 1000;
    return { flopsPerSecond: (TIMED_RUNS * 2 * tokens * hidden * ffn) / seconds, device };
  } finally {
    await releaseSession(session);
  }
}
