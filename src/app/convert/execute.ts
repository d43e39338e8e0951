/**
 * Executing a plan: calibrate → experts → adapt → targets → routers → budgets → emit → eval, each from the plan (expert widths, the
 * work and device of every stage) and the resolved model. Expensive stages go through the content-addressed stage
 * cache, so a rerun after a failure resumes; the output directory is written atomically, its report included.
 */
import { basename } from 'node:path';
import { withAtomicDir } from '../../util/atomic-dir.js';
import { cacheCapper } from '../cache/cap.js';
import { withScratchDir } from '../shared/scratch-dir.js';
import { type Evaluation, evaluateOutput } from '../eval/eval.js';
import { type Adaptation, adaptStage } from './adapt.js';
import { budgetStage, type LayerBudgets, tuningWindows } from './budgets.js';
import { resolveFixedThreshold, type ThresholdChoice } from './fixed-threshold.js';
import { calibrationStage } from './calibrate.js';
import { dataPins, type StageContext } from './context.js';
import { layerEvalModel } from './layer-eval-model.js';
import { emitOutputs, type EmitResult } from './emit.js';
import { computePermutations } from './experts.js';
import { type FittedRouters, type RouterFit, routerStage } from './router.js';
import { targetsStage } from './targets.js';

export interface ExecuteOptions {
  readonly outDir: string;
  readonly force?: boolean;
  /** Called with the fitted routers before anything is written; throws to keep the output as it is. */
  readonly acceptRouters?: (fit: RouterFit) => void;
}

export interface Executed {
  readonly emitted: EmitResult;
  /** The summary lines (report/console-summary.ts). */
  readonly summary: string[];
}

export async function execute(ctx: StageContext, opts: ExecuteOptions): Promise<Executed> {
  const { plan, model } = ctx;
  const tuning = await tuningWindows(ctx);
  const capCache = cacheCapper({ root: ctx.root, info: (line) => ctx.progress.info(line) });
  const cal = await calibrationStage(ctx);
  capCache();

  const sizes = plan.experts.map((e) => e.neurons);
  const expStage = ctx.progress.stage('experts', `sizes ${sizes.join('/')}`);
  const perms = await computePermutations({ ir: model.ir, recipe: plan.recipe, calibration: cal.rows });
  expStage.succeed();

  const adaptation = await adaptStage(ctx, { cal, perms });
  capCache();
  const targets = await targetsStage(ctx, { cal, perms, adaptation });
  capCache();
  const routers = await routerStage(ctx, { cal, targets });
  capCache();
  opts.acceptRouters?.(routers);
  // `output.fixed_threshold: auto` resolved on the tuning windows: later stages see the number.
  const fixed = await resolveFixedThreshold(ctx, { perms, adaptation, routers, targets, windows: tuning });
  const tuned = { ...ctx, plan: fixed.plan };
  const budgets = await budgetStage(tuned, { perms, adaptation, routers, targets, windows: tuning });
  const { emitted, evaluation } = await withAtomicDir(opts.outDir, opts, (dir) =>
    emitAndEvaluate(tuned, {
      dir,
      outDir: opts.outDir,
      perms,
      adaptation,
      routers,
      budgets,
      ...(fixed.choice && { thresholdChoice: fixed.choice }),
    }),
  );
  capCache(); // the eval stage's measurement entries
  const files = [...emitted.files, ...evaluation.files.map((f) => basename(f))].sort();
  return { emitted: { ...emitted, files }, summary: evaluation.lines };
}

/** Inside the atomic dir: an output directory that looks complete always has its report. */
async function emitAndEvaluate(
  ctx: StageContext,
  a: {
    dir: string;
    outDir: string;
    perms: Int32Array[];
    adaptation: Adaptation;
    routers: FittedRouters;
    budgets: LayerBudgets;
    thresholdChoice?: ThresholdChoice;
  },
): Promise<{ emitted: EmitResult; evaluation: Evaluation }> {
  const { plan, model, progress } = ctx;
  const emitStage = progress.stage('emit', a.outDir);
  const emitted = await emitOutputs({
    dir: a.dir,
    plan,
    model,
    perms: a.perms,
    readAdapted: a.adaptation.readLayer,
    ...(a.adaptation.shared && { shared: a.adaptation.shared }),
    budgets: a.budgets,
    ...(a.thresholdChoice && { thresholdChoice: a.thresholdChoice }),
    ...a.routers,
    data: dataPins(ctx.data),
    stage: emitStage,
  });
  emitStage.succeed(`${emitted.files.length} files`);
  const evalStage = progress.stage('eval', `${plan.recipe.eval.thresholds.length} thresholds`);
  const evaluation = await withScratchDir(ctx.root, 'eval', (scratch) =>
    evaluateOutput({
      dir: a.dir,
      plan,
      stage: evalStage,
      ...(ctx.offline ? { offline: true } : {}),
      cacheRoot: ctx.root,
      // Quality layer by layer from the checkpoint, with the emitted graphs' experts, routers and precision.
      layered: layerEvalModel(ctx, {
        perms: a.perms,
        routers: a.routers.routers,
        adaptation: a.adaptation,
        ...(a.budgets.tuning && { scales: a.budgets.scales }),
        dir: scratch,
      }),
    }),
  );
  evalStage.succeed(`${evaluation.report.points.length} points`);
  return { emitted, evaluation };
}
