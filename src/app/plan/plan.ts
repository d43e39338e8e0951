/**
 * The plan: a pure function of the recipe and the model's shapes. It fixes the expert widths and prices them (FLOPs,
 * memory, disk, time) before any weight is read, so `moefy plan` can show what a conversion will cost.
 */
import {
  expertSizes,
  ffnMacs,
  modelParams,
  routerMacs,
  routerParams,
  tokenMacs,
  type RouterShape,
} from '../../ir/flops.js';
import { InputError } from '../../util/errors.js';
import { estimateDisk, estimateMemory, estimateTime } from './estimates.js';
import type { Plan, PlanExpert, PlanInput, PlanModel, PlanRouter } from './types.js';

export function plan(input: PlanInput): Plan {
  const { recipe, config } = input;
  checkWindows(input);
  const model = planModel(input);
  const sizes = expertSizes(config.ffnDim, recipe.experts.sizes, recipe.experts.align);
  const shape: RouterShape = {
    hidden: config.hidden,
    routerHidden: recipe.router.kind === 'mlp' ? recipe.router.hidden : null,
    experts: sizes.length,
  };
  const router = planRouter(model, shape, recipe.router.kind);
  const perLayerRouter = routerMacs(shape);
  const experts = sizes.map((neurons, index): PlanExpert => ({
    index,
    neurons,
    fraction: neurons / config.ffnDim,
    ffnMacsPerToken: config.numLayers * ffnMacs(config.hidden, { kind: input.ffnKind, neurons }),
    flopsFraction:
      tokenMacs({ ...costOf(model), neurons, routerMacs: perLayerRouter }) / model.denseMacsPerToken,
  }));
  return {
    recipe,
    source: input.source,
    model,
    experts,
    router,
    memory: estimateMemory({ recipe, model, experts: sizes.length }),
    disk: estimateDisk({ recipe, model, routerParams: router.params }),
    time: estimateTime({ recipe, model, routerMacs: perLayerRouter, experts: sizes.length }),
    warnings: warnings(input),
  };
}

function planModel({ recipe, config, ffnKind }: PlanInput): PlanModel {
  const context = (recipe.eval.seq_len + 1) / 2;
  const params = modelParams(config, ffnKind);
  const denseMacsPerToken = tokenMacs({ config, ffnKind, context, neurons: config.ffnDim });
  return { ...config, ffnKind, params, denseMacsPerToken, context };
}

function costOf(model: PlanModel) {
  return { config: model, ffnKind: model.ffnKind, context: model.context };
}

function planRouter(model: PlanModel, shape: RouterShape, kind: PlanRouter['kind']): PlanRouter {
  const macsPerToken = model.numLayers * routerMacs(shape);
  const paramsPerLayer = routerParams(shape);
  return {
    kind,
    paramsPerLayer,
    params: model.numLayers * paramsPerLayer,
    macsPerToken,
    flopsFraction: macsPerToken / model.denseMacsPerToken,
  };
}

/** Windows past the position range are not something calibration or perplexity can mean: refuse them. */
function checkWindows({ recipe, config, positions }: PlanInput): void {
  const { seq, decode_tokens } = recipe.eval.latency;
  const windows = [
    ['calibration.seq_len', recipe.calibration.seq_len],
    ['eval.seq_len', recipe.eval.seq_len],
    // A learned position table has no row past its end: the latency run would fail, not just degrade.
    ...(positions === 'learned' ? [['eval.latency.seq + decode_tokens', seq + decode_tokens] as const] : []),
  ] as const;
  for (const [field, length] of windows) {
    if (length > config.maxPositions) {
      throw new InputError(
        `${field} ${length} exceeds the model's max_position_embeddings ${config.maxPositions}; ` +
          'set a shorter window in the recipe',
      );
    }
  }
}

function warnings({ recipe, config }: PlanInput): string[] {
  const { seq, decode_tokens } = recipe.eval.latency;
  if (seq + decode_tokens <= config.maxPositions) return [];
  return [
    `eval.latency: prompt ${seq} + ${decode_tokens} decoded tokens runs past max_position_embeddings ` +
      `${config.maxPositions}; timings stay valid for rotary positions, generated text would not`,
  ];
}
