/**
 * The router training loop (DESIGN.md §3): one ONNX Runtime run per step trains every layer's router (the
 * train-step graph of src/graph/router-train-step.ts). Params and AdamW moments stay ORT tensors between steps;
 * held-out evaluation keeps the best weights and stops early; checkpoints make a resumed run reach the same bytes
 * as an uninterrupted one.
 */
import { LR_INPUT, STEP_INPUT, batchName } from '../graph/router-train-io.js';
import { type Feeds, run } from '../runtime/session.js';
import { float32Tensor, readFloat32 } from '../runtime/tensors.js';
import { type LoopState, type Snapshot, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { BatchPlan, gatherRows, splitRows } from './data.js';
import { type HeldoutSet, heldoutLoss, heldoutSet } from './heldout.js';
import { learningRate } from './schedule.js';
import { type TrainSessions, closeTrainSessions, openTrainSessions } from './sessions.js';
import { type TrainSettings, resolveSettings } from './settings.js';
import { initialState, nextState, paramsOnly, weightsFromTensors } from './state.js';
import type { TrainResult, TrainRoutersOptions } from './types.js';

interface Run {
  readonly s: TrainSettings;
  readonly sessions: TrainSessions;
  readonly plan: BatchPlan;
  /** Held-out rows that pick the best step and stop training (split.select). */
  readonly heldout: HeldoutSet | null;
  readonly setup: Record<string, unknown>;
}

export async function trainRouters(opts: TrainRoutersOptions): Promise<TrainResult> {
  const s = resolveSettings(opts);
  const split = splitRows(s.n, s.heldout, s.seed, s.groups);
  const adam = { weightDecay: s.weightDecay, beta1: s.beta1, beta2: s.beta2, eps: s.eps };
  const sessions = await openTrainSessions({ shape: s.shape, adam, device: s.device, threads: s.threads });
  try {
    const r: Run = {
      s,
      sessions,
      plan: new BatchPlan(split.train, s.seed, s.batch),
      heldout: split.select.length > 0 ? heldoutSet(s.rows, split.select, s.shape) : null,
      setup: setupOf(s),
    };
    const start = await startingPoint(r);
    const began = performance.now();
    const end = await trainSteps(r, start);
    const seconds = (performance.now() - began) / 1000;
    // The reported held-out loss is measured on rows that did not choose the weights.
    const reported =
      split.report.length > 0
        ? await heldoutLoss(sessions.loss, heldoutSet(s.rows, split.report, s.shape), end.best)
        : null;
    return {
      weights: weightsFromTensors(end.best, s.shape),
      summary: {
        steps: end.loop.step,
        final_train_loss: end.loop.trainLoss,
        final_heldout_loss: reported,
        best_step: end.loop.bestStep,
        seconds: end.loop.seconds,
        device: s.device,
        tokens_per_s: seconds > 0 ? ((end.loop.step - start.loop.step) * r.plan.batch) / seconds : 0,
      },
    };
  } finally {
    await closeTrainSessions(sessions);
  }
}

/** Everything that decides the result: a checkpoint of another setup must not be resumed. */
function setupOf(s: TrainSettings): Record<string, unknown> {
  const { steps, batch, lr, schedule, heldout, patience, evalEvery, seed, weightDecay, beta1, beta2, eps } =
    s;
  const { layers, d, hidden, outputs, loss } = s.shape;
  return {
    layers,
    d,
    hidden,
    outputs,
    loss,
    n: s.n,
    steps,
    batch,
    lr,
    schedule,
    heldout,
    patience,
    evalEvery,
    seed,
    weightDecay,
    beta1,
    beta2,
    eps,
    groups: s.groups ? Array.from(s.groups) : null,
  };
}

/** A resumed snapshot, or the initial weights with zero moments (evaluated once: the step-0 best). */
async function startingPoint(r: Run): Promise<Snapshot> {
  const ck = r.s.checkpoint;
  if (ck && ck.resume !== false) {
    const resumed = await loadCheckpoint(ck.dir, { shape: r.s.shape, setup: r.setup });
    if (resumed) return resumed;
  }
  const state = initialState(r.s.init, r.s.shape);
  const loop: LoopState = {
    step: 0,
    stopped: false,
    bestStep: 0,
    bestLoss: null,
    badEvals: 0,
    trainLoss: Number.NaN,
    heldoutLoss: null,
    seconds: 0,
  };
  const fresh = { state, best: paramsOnly(state, r.s.shape.layers), loop };
  return r.heldout ? evaluate(r, fresh) : fresh;
}

async function trainSteps(r: Run, start: Snapshot): Promise<Snapshot> {
  const { s } = r;
  let snap = start;
  const t0 = performance.now();
  for (let step = snap.loop.step + 1; step <= s.steps && !snap.loop.stopped; step++) {
    const lr = learningRate({ schedule: s.schedule, lr: s.lr, step, steps: s.steps });
    const feeds: Feeds = {
      ...snap.state,
      ...batchFeeds(r, step),
      [STEP_INPUT]: scalar(step),
      [LR_INPUT]: scalar(lr),
    };
    const out = await run(r.sessions.step, feeds);
    const state = nextState(out, s.shape.layers);
    const seconds = start.loop.seconds + (performance.now() - t0) / 1000;
    const loop = { ...snap.loop, step, seconds, trainLoss: readFloat32(out.loss!)[0]! };
    snap = { ...snap, state, loop };
    if (!r.heldout)
      snap = { ...snap, best: paramsOnly(state, s.shape.layers), loop: { ...loop, bestStep: step } };
    else if (step % s.evalEvery === 0 || step === s.steps) snap = await evaluate(r, snap);
    const ck = s.checkpoint;
    if (ck && (step % ck.every === 0 || step === s.steps || snap.loop.stopped)) {
      await saveCheckpoint(ck.dir, { ...snap, shape: s.shape, setup: r.setup });
    }
    report(r, { loop: snap.loop, lr, done: step - start.loop.step, elapsed: seconds - start.loop.seconds });
  }
  return snap;
}

function batchFeeds(r: Run, step: number): Feeds {
  const indices = r.plan.indices(step);
  const feeds: Feeds = {};
  r.s.rows.forEach((rows, l) => {
    const { x, z } = gatherRows(rows, indices, r.s.shape);
    feeds[batchName(l, 'x')] = float32Tensor(x, [indices.length, r.s.shape.d]);
    feeds[batchName(l, 'target')] = float32Tensor(z, [indices.length, r.s.shape.outputs]);
  });
  return feeds;
}

/** Held-out loss of the current params; a new best keeps them, `patience` evaluations without one stop training. */
async function evaluate(r: Run, snap: Snapshot): Promise<Snapshot> {
  const params = paramsOnly(snap.state, r.s.shape.layers);
  const loss = await heldoutLoss(r.sessions.loss, r.heldout!, params);
  const loop = { ...snap.loop, heldoutLoss: loss };
  if (loop.bestLoss === null || loss < loop.bestLoss) {
    return { ...snap, best: params, loop: { ...loop, bestLoss: loss, bestStep: loop.step, badEvals: 0 } };
  }
  const badEvals = loop.badEvals + 1;
  return { ...snap, loop: { ...loop, badEvals, stopped: badEvals >= r.s.patience } };
}

function report(r: Run, p: { loop: LoopState; lr: number; done: number; elapsed: number }): void {
  if (!r.s.onProgress) return;
  const stepsPerSecond = p.elapsed > 0 ? p.done / p.elapsed : 0;
  r.s.onProgress({
    step: p.loop.step,
    steps: r.s.steps,
    trainLoss: p.loop.trainLoss,
    heldoutLoss: p.loop.heldoutLoss,
    lr: p.lr,
    tokensPerSecond: stepsPerSecond * r.plan.batch,
    etaSeconds: stepsPerSecond > 0 ? (r.s.steps - p.loop.step) / stepsPerSecond : 0,
  });
}

const scalar = (v: number) => float32Tensor(Float32Array.of(v), []);
