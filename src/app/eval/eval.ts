/**
 * `moefy eval` and convert's last stage: sweep an output directory's graphs (dense, static widths, learned and
 * oracle routing at every threshold) on the recipe's eval text, and write report.json, report.md, curve.svg and
 * curve.png into it, each file atomically.
 */
import { basename, resolve } from 'node:path';
import { loadTokenizer } from '../../data/tokenizer.js';
import { collectWindows, streamTextWindows } from '../../data/windows.js';
import { buildReport } from '../../eval/build-report.js';
import type { EvalModel, LatencySettings } from '../../eval/eval-model.js';
import type { LayerEvalModel } from '../../eval/layer-sweep.js';
import { runSweep } from '../../eval/sweep.js';
import type { Recipe } from '../../recipe/types.js';
import type { Report, Skipped } from '../../report/types.js';
import { writeReport } from '../../report/write-report.js';
import { InputError } from '../../util/errors.js';
import { routerShape } from '../plan/plan.js';
import type { Plan } from '../plan/types.js';
import { readOutputEval } from './output-manifest.js';
import { summaryLines } from '../../report/console-summary.js';
import { measurePrecisions } from './precisions.js';
import { downloadProgress } from '../shared/download-progress.js';
import type { Stage } from '../shared/progress.js';
import { openTextSource } from '../shared/text-source.js';
import { openTasks } from './tasks.js';
import { VERSION } from '../shared/version.js';
import { defaultCacheRoot } from '../shared/stage-cache.js';
import { latencyPromptTokens } from '../../eval/latency-prompt.js';
import { cachedMeasurements } from './cache.js';
import { fixedThreshold as fixedThresholdOf } from '../../recipe/fixed-threshold.js';

/** Command-line changes to the recipe's eval settings. */
export interface EvalOverrides {
  readonly thresholds?: readonly number[];
  readonly text?: string;
  readonly tokens?: number;
  /** false: skip the timings (`--no-latency`). */
  readonly latency?: boolean;
}

export interface EvaluateOptions {
  readonly dir: string;
  /** Convert's plan for the directory it is writing; without one, the plan is rebuilt from moefy.json. */
  readonly plan?: Plan;
  /** Default: the eval settings recorded in the directory's moefy.json. */
  readonly settings?: Recipe['eval'];
  readonly overrides?: EvalOverrides;
  readonly stage?: Stage;
  /** Cache only for a dataset's files (also HF_HUB_OFFLINE=1). */
  readonly offline?: boolean;
  /** Stage cache root for the measurements; default: defaultCacheRoot(). */
  readonly cacheRoot?: string;
  /** Measure even when the cache holds this evaluation (`moefy eval` re-measures; convert reuses). */
  readonly remeasure?: boolean;
  /** Convert's model, to measure quality layer by layer (eval/layer-sweep.ts) instead of on the whole graphs. */
  readonly layered?: LayerEvalModel;
}

export interface Evaluation {
  readonly report: Report;
  readonly files: string[];
  /** One line per threshold: threshold, FFN %, ppl, Δppl vs dense, prefill speedup. */
  readonly lines: string[];
}

/** Measures the report of an output directory without writing it (also `moefy check`'s evaluation stage). */
export async function computeReport(opts: EvaluateOptions): Promise<Report> {
  const { plan, graphs, files, precisions } = await readOutputEval(opts.dir, {
    ...(opts.plan && { plan: opts.plan }),
    ...(opts.settings && { settings: opts.settings }),
    overrides: recipeOverrides(opts.overrides ?? {}),
    ...(opts.layered && { denseOptional: true }),
  });
  const settings = plan.recipe.eval;
  const model = evalModel(plan, graphs);
  const tokenizer = loadTokenizer(opts.dir);
  const text = await openTextSource(settings, { ...(opts.offline ? { offline: true } : {}) });
  const stream = streamTextWindows({
    chunks: text.chunks(opts.stage ? downloadProgress(opts.stage) : undefined),
    tokenizer,
    seqLen: settings.seq_len,
    maxTokens: settings.tokens,
  });
  const windows = await collectWindows(stream, settings.seq_len);
  if (windows.count === 0) {
    throw new InputError(`${text.label}: shorter than one eval window of ${settings.seq_len} tokens`);
  }
  const skipped = graphs.dense ? [] : [NO_DENSE_LATENCY];
  const latency: LatencySettings | null =
    opts.overrides?.latency === false || !settings.latency.enabled || !graphs.dense
      ? null
      : {
          seq: latencyPromptTokens(settings.latency, plan.model.maxPositions),
          repeats: settings.latency.repeats,
          decodeTokens: settings.latency.decode_tokens,
          threads: settings.latency.threads,
        };
  const tasks = await openTasks({
    settings,
    dir: opts.dir,
    tokenizer,
    config: plan.model,
    ...(opts.offline && { offline: true }),
    ...(opts.stage && { stage: opts.stage }),
  });
  const fixedThreshold = fixedThresholdOf(plan.recipe);
  const thresholds = withFixedThreshold(settings.thresholds, fixedThreshold);
  const { points: measured, cached } = await cachedMeasurements({
    root: opts.cacheRoot ?? defaultCacheRoot(),
    key: { files, text: text.identity, tasks: tasks?.pins ?? null, settings, thresholds, latency },
    reuse: opts.remeasure !== true,
    measure: () =>
      runSweep({
        model,
        windows,
        batch: settings.batch,
        thresholds,
        latency,
        ...(tasks && { tasks: tasks.sweep }),
        onPoint: (p) => opts.stage?.note(`${p.index + 1}/${p.total} ${p.label}`),
        ...(opts.layered && { layered: opts.layered }),
        device: plan.stages.eval.device,
      }),
  });
  if (cached) opts.stage?.note('measurements from cache (same graph bytes and eval settings)');
  // Other precisions (output.dtypes) on the same windows and thresholds, cached like the fp32 sweep.
  const perPrecision = await measurePrecisions({
    windows,
    batch: settings.batch,
    thresholds,
    latency,
    model,
    precisions,
    stage: opts.stage,
    layered: opts.layered,
    cached: async (p, measure) =>
      (
        await cachedMeasurements({
          root: opts.cacheRoot ?? defaultCacheRoot(),
          key: { files: p.files, text: text.identity, tasks: null, settings, thresholds, latency },
          reuse: opts.remeasure !== true,
          measure,
        })
      ).points,
  });
  const c = plan.model;
  const { source } = plan;
  return buildReport(
    {
      version: VERSION,
      model: {
        // The id the report names: the Hub repo or the local directory's name.
        id: source.kind === 'hub' ? source.repo : basename(plan.recipe.model),
        family: c.family,
        source_sha: source.kind === 'hub' ? source.sha : null,
        layers: c.numLayers,
        hidden: c.hidden,
        ffn_dim: c.ffnDim,
        expert_sizes: [...model.expertSizes],
        params: plan.model.params,
        adapted_params: plan.stages.experts.adapt.extraParams,
      },
      eval: {
        text: text.label,
        tokens: windows.count * windows.seqLen,
        seq_len: windows.seqLen,
      },
      threads: settings.latency.threads,
      latency,
      maxPplIncrease: plan.recipe.report.max_ppl_increase,
      fixedThreshold,
      ...(tasks && { tasks: tasks.info }),
      ...(skipped.length > 0 && { skipped }),
    },
    measured,
    perPrecision,
  );
}

/** computeReport, then the report files written into the directory. */
export async function evaluateOutput(opts: EvaluateOptions): Promise<Evaluation> {
  const report = await computeReport(opts);
  const { files } = await writeReport(opts.dir, report, {
    log: (line) => opts.stage?.note(line),
  });
  return { report, files, lines: summaryLines(report) };
}

/**
 * Without dense.onnx (`output.dense: false`) the speedups have no graph to be timed against: the timings are left
 * out and the report says why. (Tasks score the dense baseline on its graph too: plan() refuses them up front.)
 */
const NO_DENSE_LATENCY: Skipped = {
  measurement: 'latency',
  reason: 'output.dense: false wrote no dense.onnx to time the speedups against',
};

/** The fixed graph's threshold joins the sweep, so the report can say what that graph gives. */
function withFixedThreshold(thresholds: readonly number[], fixed: number): number[] {
  if (thresholds.includes(fixed)) return [...thresholds];
  return [...thresholds, fixed].sort((a, b) => a - b);
}

/** The flags as recipe overrides, so the recipe's rules check them (a relative --text is the working dir's). */
function recipeOverrides(o: EvalOverrides): Record<string, unknown> {
  return {
    ...(o.thresholds && { thresholds: [...o.thresholds] }),
    ...(o.text && { evalText: resolve(o.text) }),
    ...(o.tokens !== undefined && { evalTokens: o.tokens }),
  };
}

/** What the sweep needs: the plan's shapes, expert widths and router, and the graph files. */
function evalModel(plan: Plan, graphs: EvalModel['graphs']): EvalModel {
  const expertSizes = plan.experts.map((e) => e.neurons);
  return {
    config: plan.model,
    ffnKind: plan.model.ffnKind,
    expertSizes,
    graphs,
    router: routerShape(plan.recipe, plan.model.hidden, expertSizes.length),
  };
}
