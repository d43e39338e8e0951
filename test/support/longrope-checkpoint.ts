/**
 * A synthetic Phi-3 checkpoint with longrope scaling (Phi-3.5-mini / Phi-4-mini style: `rope_scaling.type`
 * "longrope", per-frequency short/long factors, the top-level `original_max_position_embeddings`) and partial rotary,
 * shrunk so that a 12-token sequence crosses the original length of 8. Random seeded weights, the golden cases'
 * byte-level tokenizer. No public golden case has longrope; tests compare it with the float64 reference decoder.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TensorToWrite, writeSafetensors } from '../../src/checkpoint/safetensors-write.js';
import { Rng } from '../../src/util/random.js';
import { fixtureDir } from './golden.js';

export const LONGROPE = {
  original: 8,
  maxPositions: 32,
  hidden: 32,
  heads: 4,
  kvHeads: 2,
  headDim: 8,
  /** int(8 · 0.75) = 6 rotary channels: 3 factors per list. */
  partial: 0.75,
  ffn: 48,
  layers: 2,
  vocab: 256,
  shortFactor: [1.0, 1.25, 1.5],
  longFactor: [1.5, 4.0, 12.0],
} as const;

export async function writeLongropeCheckpoint(dir: string): Promise<string> {
  const c = LONGROPE;
  mkdirSync(dir, { recursive: true });
  const config = {
    architectures: ['Phi3ForCausalLM'],
    model_type: 'phi3',
    vocab_size: c.vocab,
    hidden_size: c.hidden,
    intermediate_size: c.ffn,
    num_hidden_layers: c.layers,
    num_attention_heads: c.heads,
    num_key_value_heads: c.kvHeads,
    max_position_embeddings: c.maxPositions,
    original_max_position_embeddings: c.original,
    partial_rotary_factor: c.partial,
    rope_theta: 10000.0,
    rope_scaling: { type: 'longrope', short_factor: c.shortFactor, long_factor: c.longFactor },
    rms_norm_eps: 1e-5,
    hidden_act: 'silu',
    tie_word_embeddings: false,
    sliding_window: 262144,
    bos_token_id: 1,
    eos_token_id: 2,
    torch_dtype: 'float32',
  };
  writeFileSync(join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  for (const f of ['tokenizer.json', 'tokenizer_config.json'])
    copyFileSync(join(fixtureDir('phi3'), f), join(dir, f));
  const rng = new Rng(2024);
  const tensors: Record<string, TensorToWrite> = {};
  const put = (name: string, shape: number[], scale: number, offset = 0) => {
    const data = Float32Array.from(
      { length: shape.reduce((a, b) => a * b, 1) },
      () => offset + scale * rng.normal(),
    );
    tensors[name] = { dtype: 'F32', shape, data };
  };
  const qkv = (c.heads + 2 * c.kvHeads) * c.headDim;
  put('model.embed_tokens.weight', [c.vocab, c.hidden], 0.5);
  for (let l = 0; l < c.layers; l++) {
    const p = `model.layers.${l}.`;
    put(`${p}input_layernorm.weight`, [c.hidden], 0.1, 1);
    put(`${p}self_attn.qkv_proj.weight`, [qkv, c.hidden], 0.35);
    put(`${p}self_attn.o_proj.weight`, [c.hidden, c.heads * c.headDim], 0.2);
    put(`${p}post_attention_layernorm.weight`, [c.hidden], 0.1, 1);
    put(`${p}mlp.gate_up_proj.weight`, [2 * c.ffn, c.hidden], 0.2);
    put(`${p}mlp.down_proj.weight`, [c.hidden, c.ffn], 0.2);
  }
  put('model.norm.weight', [c.hidden], 0.1, 1);
  put('lm_head.weight', [c.vocab, c.hidden], 0.3);
  await writeSafetensors(join(dir, 'model.safetensors'), tensors);
  return dir;
}
