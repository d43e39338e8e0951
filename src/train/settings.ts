/** Defaults and validation of the training options: bad values are InputErrors naming the recipe field. */
import type { RouterGraphShape } from '../graph/router-train-io.js';
import type { RouterWeights } from '../router/spec.js';
import { InputError } from '../util/errors.js';
import type { TrainRoutersOptions } from './types.js';

export const TRAIN_DEFAULTS = {
  schedule: 'cosine',
  heldout: 0.1,
  patience: 5,
  seed: 0,
  device: 'cpu',
  loss: 'mse',
  weightDecay: 0,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
} as const;

export type TrainSettings = Required<
  Omit<TrainRoutersOptions, 'onProgress' | 'checkpoint' | 'threads' | 'groups'>
> &
  Pick<TrainRoutersOptions, 'onProgress' | 'checkpoint' | 'threads' | 'groups'> & {
    /** Rows per layer. */
    readonly n: number;
    readonly shape: RouterGraphShape;
  };

export function resolveSettings(opts: TrainRoutersOptions): TrainSettings {
  positiveInteger('steps', opts.steps);
  positiveInteger('batch', opts.batch);
  if (!(opts.lr > 0 && Number.isFinite(opts.lr)))
    throw new InputError(`router.train.lr: expected a positive number, got ${opts.lr}`);
  const heldout = opts.heldout ?? TRAIN_DEFAULTS.heldout;
  if (!(heldout >= 0 && heldout < 1))
    throw new InputError(`router.train.heldout: expected a fraction in [0, 1), got ${heldout}`);
  const loss = opts.loss ?? TRAIN_DEFAULTS.loss;
  const shape = { ...graphShape(opts.init), loss, dtype: 'float32' } as const;
  const n = rowCount(opts, shape);
  if (opts.groups && opts.groups.length !== n) {
    throw new InputError(`router training: ${opts.groups.length} window ids for ${n} rows`);
  }
  const evalEvery = opts.evalEvery ?? defaultEvalEvery(opts.steps);
  positiveInteger('evalEvery', evalEvery);
  if (opts.checkpoint) positiveInteger('checkpoint.every', opts.checkpoint.every);
  const d = TRAIN_DEFAULTS;
  return {
    ...opts,
    schedule: opts.schedule ?? d.schedule,
    heldout,
    patience: opts.patience ?? d.patience,
    evalEvery,
    seed: opts.seed ?? d.seed,
    device: opts.device ?? d.device,
    loss,
    weightDecay: opts.weightDecay ?? d.weightDecay,
    beta1: opts.beta1 ?? d.beta1,
    beta2: opts.beta2 ?? d.beta2,
    eps: opts.eps ?? d.eps,
    n,
    shape,
  };
}

/** Held-out evaluations per run: about 20, whatever the step count. */
const EVALUATIONS = 20;

function defaultEvalEvery(steps: number): number {
  return Math.max(1, Math.round(steps / EVALUATIONS));
}

/** How many held-out evaluations a run of `steps` steps makes (the recipe's patience must fit in them). */
export function heldoutEvaluations(steps: number): number {
  return Math.ceil(steps / defaultEvalEvery(steps));
}

function positiveInteger(field: string, v: number): void {
  if (!Number.isInteger(v) || v < 1)
    throw new InputError(`router.train.${field}: expected a positive integer, got ${v}`);
}

/** One graph trains every layer, so every router must have the same mlp shape. */
function graphShape(init: readonly RouterWeights[]): Omit<RouterGraphShape, 'loss' | 'dtype'> {
  const mlps = init.map((w, l) => {
    if (w.kind !== 'mlp')
      throw new InputError(`router training: layer ${l} router is ${w.kind}, expected an mlp router`);
    return w;
  });
  const first = mlps[0];
  if (!first) throw new InputError('router training: expected at least one layer');
  mlps.forEach((w, l) => {
    if (w.d !== first.d || w.hidden !== first.hidden || w.outputs !== first.outputs)
      throw new InputError(
        `router training: layer ${l} router is ${w.d}→${w.hidden}→${w.outputs}, ` +
          `expected ${first.d}→${first.hidden}→${first.outputs} like layer 0`,
      );
  });
  return { layers: init.length, d: first.d, hidden: first.hidden, outputs: first.outputs };
}

function rowCount(opts: TrainRoutersOptions, shape: RouterGraphShape): number {
  if (opts.rows.length !== shape.layers)
    throw new InputError(`router training: ${opts.rows.length} layers of rows for ${shape.layers} routers`);
  const n = (opts.rows[0]?.x.length ?? 0) / shape.d;
  opts.rows.forEach(({ x, z }, l) => {
    if (x.length !== n * shape.d || !Number.isInteger(n))
      throw new InputError(`router training: layer ${l} x has ${x.length} values, expected ${n}×${shape.d}`);
    if (z.length !== n * shape.outputs)
      throw new InputError(
        `router training: layer ${l} targets have ${z.length} values, expected ${n}×${shape.outputs}`,
      );
  });
  if (n < 2) throw new InputError(`router training: expected at least 2 rows per layer, got ${n}`);
  return n;
}
