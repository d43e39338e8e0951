/**
 * The compute rates a plan prices its stage times with (app/plan/estimates.ts): the reference box's, scaled by this
 * machine's measured ORT rate (app/plan/machine-rate.ts).
 */
import type { MachineRate } from './machine-rate.js';

/*
 * The rates below were measured on the reference box (2 cores, 24 GiB; the probe of app/plan/machine-rate.ts ran at
 * REFERENCE_PROBE_FLOPS there with nothing else at its priority) on synthetic checkpoints of TinyLlama-1.1B's and
 * Llama-3-8B's shapes (docs/benchmarks.md). A plan made with a measured rate scales every compute rate by
 * measured ÷ reference, so a loaded or a faster machine is priced as it runs now: the same box ran one 8B
 * calibration in 145 s quiet and 279 s beside other work.
 */
const REFERENCE_PROBE_FLOPS = 70e9;
/**
 * ORT's effective throughput in the layer-sequential calibration pass, attention and the JavaScript between runs
 * included, per FLOP of the dense forward (its layers' weights read at DISK_BYTES_PER_S on top). Quiet, 1,024 tokens
 * took 21 s at 1.1B and 145 s at 8B (150 GFLOP/s would price both); beside other work calibration slowed more than
 * the probe did (70 s at 1.1B, 382 s at 8B: 1.87× and 1.59× over a 150 GFLOP/s price), so the rate sits between:
 * quiet runs come in at ~0.7×, loaded ones at ~1.2–1.4× of the estimate.
 */
const CALIBRATION_FLOPS_PER_S = 100e9;
/**
 * The evaluation sweep per FLOP of a dense pass at every point (an upper bound: routed points compute less): 512
 * tokens × 11 points over a 1.1B in 258 s quiet (30 GFLOP/s), then 1.59× faster once a layer's four part graphs
 * shared their weights (bench/eval-throughput.ts: sweep 135.9 → 85.3 s).
 * Router training's ORT steps are priced at the same rate.
 */
const EVAL_FLOPS_PER_S = 45e9;
/**
 * Float64 math in JavaScript: the ridge routers' normal equations (always fitted), priced as 2·rows·d² + d³ per
 * layer: 22 layers × 2049² at 1,024 rows in ~48 s (1.1B).
 */
const JS_FLOPS_PER_S = 8e9;
/**
 * The targets stage's JavaScript per FFN weight of a layer's probe graph (read, widen, permute into blocks, write,
 * load): 22 layers × 34.6 M FFN weights in 33 s (1.1B).
 */
const PROBE_WEIGHTS_PER_S = 22e6;
/**
 * The adaptation's nested Cholesky solves (experts/nested-cholesky.ts) on ORT's float64 GEMM (MLAS, 2 threads),
 * per flop of the count in `adaptSeconds`, copies and small leaf products included: the tiled solve ran one 8B
 * layer at ~15 GFLOP/s at load ~8 (`bench/adapt-layer.ts`), priced 9 before; not yet re-checked end to end.
 */
const F64_GEMM_FLOPS_PER_S = 15e9;
/** Fixed cost of one train-step session run (feeds, fetches, optimizer state) independent of batch size. */
const TRAIN_STEP_OVERHEAD_S = 2e-3;

/** The compute rates a plan prices with: the reference box's, scaled by the machine-rate probe when measured. */
export interface Rates {
  readonly calibration: number;
  readonly eval: number;
  readonly js: number;
  readonly probeWeights: number;
  readonly f64: number;
  readonly stepOverhead: number;
  /** How they were obtained, for `time.basis`. */
  readonly source: string;
}

export function ratesFor(machineRate: MachineRate | undefined): Rates {
  const speed = machineRate ? machineRate.flopsPerSecond / REFERENCE_PROBE_FLOPS : 1;
  const probe = (machineRate?.flopsPerSecond ?? REFERENCE_PROBE_FLOPS) / 1e9;
  return {
    calibration: CALIBRATION_FLOPS_PER_S * speed,
    eval: EVAL_FLOPS_PER_S * speed,
    js: JS_FLOPS_PER_S * speed,
    probeWeights: PROBE_WEIGHTS_PER_S * speed,
    f64: F64_GEMM_FLOPS_PER_S * speed,
    stepOverhead: TRAIN_STEP_OVERHEAD_S / speed,
    source: machineRate
      ? `ORT on ${machineRate.device} measured at ${probe.toFixed(0)} GFLOP/s now (reference box ${REFERENCE_PROBE_FLOPS / 1e9}), rates scaled ×${speed.toFixed(2)}`
      : `rates of the reference box (ORT probe ${probe.toFixed(0)} GFLOP/s; not measured here)`,
  };
}

/** GFLOP/s with the precision a rough estimate deserves. */
export function gflops(flopsPerSecond: number): string {
  const v = flopsPerSecond / 1e9;
  return v >= 10 ? v.toFixed(0) : v.toFixed(1);
}
