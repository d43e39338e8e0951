/**
 * The plan: a pure function of the recipe, the model's shapes and what this machine can run. It fixes the expert
 * widths, the work and device of every stage, and prices them (FLOPs, memory, disk, time) before any weight is
 * read. `moefy plan` prints it; `convert` executes it (app/convert/execute.ts) and makes every refusal here first.
 */
import {
  adaptedParams,
  expertSizes,
  ffnMacs,
  modelParams,
  routerMacs,
  routerParams,
  tokenMacs,
  type RouterShape,
} from '../../ir/flops.js';
import type { ModelConfig } from '../../ir/model.js';
import type { Recipe } from '../../recipe/types.js';
import { CUDA_INSTALL_HINT } from '../../runtime/device.js';
import { InputError, RuntimeSetupError } from '../../util/errors.js';
import type { Precision } from '../../ir/precision.js';
import { graphFile, type GraphRole } from '../shared/manifest.js';
import { estimateDisk, estimateMemory, estimateTime } from './estimates.js';
import { precisionPasses } from './precisions.js';
import { ramLimit, ramProblem } from './ram-check.js';
import {
  type Plan,
  type PlanExpert,
  type PlanInput,
  type PlanModel,
  type PlanRouter,
  type PlanStages,
  STAGES,
  type StageName,
} from './types.js';
import { latencyPromptTokens } from '../../eval/latency-prompt.js';

export function plan(input: PlanInput): Plan {
  const { recipe } = input;
  const config = input.model.config;
  check(input);
  const model = planModel(input);
  const sizes = expertSizes(config.ffnDim, recipe.experts.sizes, recipe.experts.align);
  const shape = routerShape(recipe, config.hidden, sizes.length);
  const router = planRouter(model, shape);
  const perLayerRouter = routerMacs(shape);
  const adapted = adaptedModelParams(recipe, sizes, config);
  // Each adapted expert's ridge system (lsq: its neurons and the bias); joint: one system over every neuron.
  const adaptSystems = adaptSystemSizes(recipe, sizes);
  const experts = sizes.map((neurons, index): PlanExpert => ({
    index,
    neurons,
    fraction: neurons / config.ffnDim,
    ffnMacsPerToken: config.numLayers * ffnMacs(config.hidden, { kind: model.ffnKind, neurons }),
    flopsFraction:
      tokenMacs({ ...costOf(model), neurons, routerMacs: perLayerRouter }) / model.denseMacsPerToken,
  }));
  const memory = estimateMemory({
    recipe,
    model,
    experts: sizes.length,
    adaptedParams: adapted,
    adaptSystems,
  });
  // Only convert runs what the peak prices (`moefy eval` opens whole graphs the user asked to time).
  const converts = (input.stages ?? STAGES).includes('calibrate');
  const ramProblemText = converts
    ? ramProblem(memory, ramLimit(recipe, input.environment.ramBytes), recipe)
    : null;
  return {
    recipe,
    source: input.model.source,
    model,
    experts,
    router,
    stages: planStages(recipe, sizes, config),
    memory,
    disk: estimateDisk({ recipe, model, routerParams: router.params, adaptedParams: adapted }),
    time: estimateTime({
      recipe,
      model,
      routerMacs: perLayerRouter,
      experts: sizes.length,
      adaptSystems,
      machineRate: input.environment.machineRate,
    }),
    warnings: [...warnings(input), ...(ramProblemText === null ? [] : [ramProblemText])],
    ramProblem: ramProblemText,
  };
}

/** The router's shape as the compute figures count it. */
export function routerShape(recipe: Recipe, hidden: number, experts: number): RouterShape {
  return {
    hidden,
    routerHidden: recipe.router.kind === 'mlp' ? recipe.router.hidden : null,
    experts,
    ...(recipe.router.input === 'normed+log_norm' && { logNorm: true }),
  };
}

function planModel({ recipe, model: m }: PlanInput): PlanModel {
  const context = (recipe.eval.seq_len + 1) / 2;
  const params = modelParams(m.config, m.ffnKind);
  const denseMacsPerToken = tokenMacs({
    config: m.config,
    ffnKind: m.ffnKind,
    context,
    neurons: m.config.ffnDim,
  });
  return { ...m.config, ffnKind: m.ffnKind, params, denseMacsPerToken, context };
}

function costOf(model: PlanModel) {
  return { config: model, ffnKind: model.ffnKind, context: model.context };
}

function planRouter(model: PlanModel, shape: RouterShape): PlanRouter {
  const macsPerToken = model.numLayers * routerMacs(shape);
  const paramsPerLayer = routerParams(shape);
  return {
    kind: shape.routerHidden === null ? 'ridge' : 'mlp',
    hidden: shape.routerHidden,
    paramsPerLayer,
    params: model.numLayers * paramsPerLayer,
    macsPerToken,
    flopsFraction: macsPerToken / model.denseMacsPerToken,
  };
}

/** The extra parameters `experts.adapt` adds to the whole model (joint: none, the shared weights change). */
function adaptedModelParams(recipe: Recipe, sizes: readonly number[], config: ModelConfig): number {
  return recipe.experts.adapt === 'lsq' ? config.numLayers * adaptedParams(sizes, config.hidden) : 0;
}

function adaptSystemSizes(recipe: Recipe, sizes: readonly number[]): number[] {
  if (recipe.experts.adapt === 'joint') return [sizes.at(-1)!];
  return recipe.experts.adapt === 'lsq' ? sizes.slice(0, -1).map((n) => n + 1) : [];
}

function planStages(recipe: Recipe, sizes: readonly number[], config: ModelConfig): PlanStages {
  const experts = sizes.length;
  const { calibration: cal, eval: ev, router } = recipe;
  const thresholds = ev.thresholds.length;
  return {
    calibrate: {
      device: recipe.device,
      windows: Math.floor(cal.tokens / cal.seq_len),
      seqLen: cal.seq_len,
      rowsPerLayer: cal.rows_per_layer,
    },
    experts: {
      ordering: recipe.experts.ordering,
      grouping: recipe.experts.grouping,
      adapt: {
        method: recipe.experts.adapt,
        ridge: recipe.experts.adapt_ridge,
        extraParams: adaptedModelParams(recipe, sizes, config),
      },
    },
    targets: { device: recipe.device, rowsPerLayer: cal.rows_per_layer, errorsPerRow: experts },
    router: {
      train: router.kind === 'mlp' ? { device: router.train.device, steps: router.train.steps } : null,
    },
    emit: { graphs: emittedGraphs(recipe) },
    eval: {
      device: recipe.device,
      windows: Math.floor(ev.tokens / ev.seq_len),
      seqLen: ev.seq_len,
      points: 1 + experts + 2 * thresholds + precisionPasses(recipe),
      // None without the timings, or without dense.onnx to time them against (app/eval/eval.ts skips them).
      timed:
        ev.latency.enabled && recipe.output.dense ? 1 + experts + thresholds + precisionPasses(recipe) : 0,
    },
  };
}

/**
 * The graphs `convert` writes, in order: the fp32 MoE variants, the transformers.js copy, the dense baseline; then
 * per other precision of output.dtypes its router and fixed graphs, their transformers.js copy and its dense
 * baseline (the input-choice and oracle graphs are baselines of routing, not of precision: fp32 only).
 */
function emittedGraphs(recipe: Recipe): PlanStages['emit']['graphs'] {
  const dense: GraphRole[] = recipe.output.dense ? ['dense'] : [];
  const roles = (dtype: Precision): GraphRole[] =>
    dtype === 'fp32'
      ? ['moe', 'moe_choice', 'moe_fixed', 'moe_oracle', 'transformers_js', ...dense]
      : ['moe', 'moe_fixed', 'transformers_js', ...dense];
  const dtypes: Precision[] = ['fp32', ...recipe.output.dtypes.filter((d) => d !== 'fp32')];
  return dtypes.flatMap((dtype) =>
    roles(dtype).map((role) => ({ role, file: graphFile(role, dtype), dtype })),
  );
}

/** Every refusal of the stages that will run, before any of them starts. */
function check(input: PlanInput): void {
  const stages = new Set<StageName>(input.stages ?? STAGES);
  for (const { stage, field, length } of windows(input)) {
    if (stages.has(stage) && length > input.model.config.maxPositions) {
      throw new InputError(
        `${field} ${length} exceeds the model's max_position_embeddings ${input.model.config.maxPositions}; ` +
          'set a shorter window in the recipe',
      );
    }
  }
  const { router, output } = input.recipe;
  if (stages.has('eval') && !output.dense && input.recipe.eval.tasks.length > 0) {
    // Task accuracy is compared with the dense baseline's, scored on dense.onnx (the layer-by-layer pass gives
    // perplexity only): without that graph the comparison the tasks exist for cannot be made.
    throw new InputError(
      'output.dense: false: eval.tasks scores the dense baseline on dense.onnx, which it leaves out; ' +
        'set output.dense: true or remove eval.tasks',
    );
  }
  const unavailable = input.environment.unavailable[router.train.device];
  if (stages.has('router') && router.kind === 'mlp' && unavailable !== undefined) {
    throw new RuntimeSetupError(
      `router.train.device ${router.train.device}: cannot run here (${unavailable}); ${CUDA_INSTALL_HINT}`,
    );
  }
  // Every stage that runs the model, refused here, before any of them starts (not at its first session).
  const device = input.recipe.device;
  const missing = input.environment.unavailable[device];
  const modelStages: StageName[] = ['calibrate', 'targets', 'eval'];
  if (missing !== undefined && modelStages.some((s) => stages.has(s))) {
    throw new RuntimeSetupError(`device ${device}: cannot run here (${missing}); ${CUDA_INSTALL_HINT}`);
  }
}

/** Windows past the position range are not something calibration or perplexity can mean: refuse them. */
function windows({ recipe, model }: PlanInput): { stage: StageName; field: string; length: number }[] {
  const { decode_tokens } = recipe.eval.latency;
  const seq = latencyPromptTokens(recipe.eval.latency, model.config.maxPositions);
  return [
    { stage: 'calibrate', field: 'calibration.seq_len', length: recipe.calibration.seq_len },
    { stage: 'eval', field: 'eval.seq_len', length: recipe.eval.seq_len },
    // A learned position table has no row past its end: the latency run would fail, not just degrade.
    ...(model.positions === 'learned'
      ? [{ stage: 'eval' as const, field: 'eval.latency.seq + decode_tokens', length: seq + decode_tokens }]
      : []),
  ];
}

function warnings({ recipe, model }: PlanInput): string[] {
  const { decode_tokens } = recipe.eval.latency;
  const seq = latencyPromptTokens(recipe.eval.latency, model.config.maxPositions);
  if (seq + decode_tokens <= model.config.maxPositions) return [];
  return [
    `eval.latency: prompt ${seq} + ${decode_tokens} decoded tokens runs past max_position_embeddings ` +
      `${model.config.maxPositions}; timings stay valid for rotary positions, generated text would not`,
  ];
}
