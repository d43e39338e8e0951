/**
 * Realized compute from the MoE graph's `expert_index` output: FFN fraction per layer and overall, the expert
 * histogram, and the whole-model FLOPs fraction against the dense model on the same tokens (formulas: ir/flops.ts).
 */
import { ffnMacs, tokenMacs, routerMacs, type RouterShape } from '../ir/flops.js';
import type { FfnKind, ModelConfig } from '../ir/model.js';
import { InternalError } from '../util/errors.js';

export interface ComputeSpec {
  config: ModelConfig;
  ffnKind: FfnKind;
  /** Neurons per nested expert, ascending; `expert_index` k selects expertSizes[k]. */
  expertSizes: readonly number[];
  /** The router run per layer (learned/oracle points); null when nothing routes (dense, static). */
  router: RouterShape | null;
}

export interface ExpertIndexBatch {
  /** int64 [layers, batch, seq]: 0-based expert per token per layer. */
  expertIndex: ArrayLike<bigint | number>;
  batch: number;
  seq: number;
  /** [batch, seq]: 0 marks padding, which is neither counted nor attended to. Absent: every position is real. */
  attentionMask?: ArrayLike<bigint | number>;
}

export interface ComputeTotals {
  tokens: number;
  ffnFraction: number;
  /** (FFN MACs used + router MACs) / dense FFN MACs: the FFN's compute counted with what chose it. */
  ffnRouterFraction: number;
  ffnFractionPerLayer: number[];
  /** Tokens × layers that took each expert. */
  expertHistogram: number[];
  flopsFraction: number;
}

export class ComputeAccumulator {
  private tokens = 0;
  /** Sum over tokens of the positions each attends to (itself included). */
  private contextSum = 0;
  private readonly neuronsPerLayer: number[];
  private readonly histogram: number[];

  constructor(private readonly spec: ComputeSpec) {
    this.neuronsPerLayer = new Array<number>(spec.config.numLayers).fill(0);
    this.histogram = new Array<number>(spec.expertSizes.length).fill(0);
  }

  add(b: ExpertIndexBatch): void {
    const layers = this.spec.config.numLayers;
    const tokensPerLayer = b.batch * b.seq;
    if (
      b.expertIndex.length !== layers * tokensPerLayer ||
      (b.attentionMask && b.attentionMask.length !== tokensPerLayer)
    ) {
      throw new InternalError(
        `expert_index needs [${layers}, ${b.batch}, ${b.seq}] = ${layers * tokensPerLayer} values and a mask of ${tokensPerLayer}, ` +
          `got ${b.expertIndex.length} and ${b.attentionMask?.length ?? 'none'}`,
      );
    }
    for (let row = 0; row < b.batch; row++) {
      let context = 0;
      for (let pos = 0; pos < b.seq; pos++) {
        const token = row * b.seq + pos;
        if (b.attentionMask && Number(b.attentionMask[token]) === 0) continue;
        context += 1;
        this.contextSum += context;
        this.tokens += 1;
        for (let layer = 0; layer < layers; layer++)
          this.count(layer, Number(b.expertIndex[layer * tokensPerLayer + token]));
      }
    }
  }

  private count(layer: number, expert: number): void {
    const neurons = this.spec.expertSizes[expert];
    if (neurons === undefined) {
      throw new InternalError(
        `expert_index ${expert} at layer ${layer} is outside [0, ${this.spec.expertSizes.length})`,
      );
    }
    this.neuronsPerLayer[layer]! += neurons;
    this.histogram[expert]! += 1;
  }

  totals(): ComputeTotals {
    if (this.tokens === 0) throw new InternalError('no counted tokens: compute fractions are undefined');
    const { config, ffnKind, router } = this.spec;
    const ffnFractionPerLayer = this.neuronsPerLayer.map((n) => n / (this.tokens * config.ffnDim));
    const meanNeurons = this.neuronsPerLayer.reduce((a, n) => a + n, 0) / (this.tokens * config.numLayers);
    // tokenMacs is affine in context and neurons, so the mean token's cost is the mean cost, exactly.
    const token = { config, ffnKind, context: this.contextSum / this.tokens };
    const perRouter = router ? routerMacs(router) : 0;
    const moe = tokenMacs({ ...token, neurons: meanNeurons, routerMacs: perRouter });
    const dense = tokenMacs({ ...token, neurons: config.ffnDim });
    const denseFfn = ffnMacs(config.hidden, { kind: ffnKind, neurons: config.ffnDim });
    return {
      tokens: this.tokens,
      ffnFraction: meanNeurons / config.ffnDim,
      ffnRouterFraction: meanNeurons / config.ffnDim + perRouter / denseFfn,
      ffnFractionPerLayer,
      expertHistogram: [...this.histogram],
      flopsFraction: moe / dense,
    };
  }
}
