/** fixtures/kjv-llama's shapes as the llama family maps them: what plan tests price without reading weights. */
import type { ModelConfig } from '../../src/ir/model.js';

export const kjvConfig: ModelConfig = {
  family: 'llama',
  architecture: 'LlamaForCausalLM',
  vocabSize: 256,
  hidden: 128,
  numLayers: 4,
  numHeads: 4,
  numKvHeads: 4,
  headDim: 32,
  ffnDim: 512,
  maxPositions: 256,
  tiedEmbeddings: false,
  sourceDtype: 'float32',
};

/** The plan's ModelShape of kjv-llama from a local path. */
export const kjvShape = {
  config: kjvConfig,
  ffnKind: 'gated',
  positions: 'rope',
  source: { kind: 'local', path: '/models/kjv-llama' },
} as const;
