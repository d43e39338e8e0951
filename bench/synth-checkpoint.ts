/**
 * Synthetic Llama-shaped checkpoints for the benchmarks: config.json, kjv-llama's byte-level tokenizer and one
 * model.safetensors of random weights. Tensors are streamed to disk in bounded chunks cut from one small random
 * pattern, so a 1B-parameter checkpoint never sits in memory (the project's writer builds whole files in memory).
 */
import { closeSync, copyFileSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeAll } from '../src/onnx/external-data.js';
import { Rng } from '../src/util/random.js';

export interface SynthShape {
  readonly hidden: number;
  readonly ffn: number;
  readonly layers: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly vocab: number;
}

export type SynthDtype = 'BF16' | 'F32';

interface TensorSpec {
  readonly name: string;
  readonly shape: readonly number[];
  /** Norm gains are ones; everything else is random. */
  readonly ones: boolean;
}

const FIXTURE = new URL('../fixtures/kjv-llama/', import.meta.url).pathname;
const PATTERN_VALUES = 1 << 22; // 4 Mi values: 8 MB (bf16) or 16 MB (f32) of random data, tiled
const WEIGHT_STD = 0.02;

/** Every tensor of a Llama checkpoint with this shape, sorted by name as HF writes them. */
export function llamaTensors(s: SynthShape): TensorSpec[] {
  const kv = (s.hidden / s.heads) * s.kvHeads;
  const t = (name: string, shape: number[], ones = false): TensorSpec => ({ name, shape, ones });
  const out = [
    t('model.embed_tokens.weight', [s.vocab, s.hidden]),
    t('model.norm.weight', [s.hidden], true),
    t('lm_head.weight', [s.vocab, s.hidden]),
  ];
  for (let i = 0; i < s.layers; i++) {
    const p = `model.layers.${i}`;
    out.push(
      t(`${p}.input_layernorm.weight`, [s.hidden], true),
      t(`${p}.post_attention_layernorm.weight`, [s.hidden], true),
      t(`${p}.self_attn.q_proj.weight`, [s.hidden, s.hidden]),
      t(`${p}.self_attn.k_proj.weight`, [kv, s.hidden]),
      t(`${p}.self_attn.v_proj.weight`, [kv, s.hidden]),
      t(`${p}.self_attn.o_proj.weight`, [s.hidden, s.hidden]),
      t(`${p}.mlp.gate_proj.weight`, [s.ffn, s.hidden]),
      t(`${p}.mlp.up_proj.weight`, [s.ffn, s.hidden]),
      t(`${p}.mlp.down_proj.weight`, [s.hidden, s.ffn]),
    );
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function parameterCount(s: SynthShape): number {
  return llamaTensors(s).reduce((n, t) => n + count(t.shape), 0);
}

/** Bytes of the largest decoder layer's weights in the checkpoint's dtype. */
export function layerBytes(s: SynthShape, dtype: SynthDtype): number {
  const layer = llamaTensors(s).filter((t) => t.name.startsWith('model.layers.0.'));
  return layer.reduce((n, t) => n + count(t.shape), 0) * bytesPer(dtype);
}

/** Writes config.json, tokenizer files and model.safetensors into `dir`; returns the safetensors path. */
export function writeSynthCheckpoint(dir: string, s: SynthShape, dtype: SynthDtype): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(configJson(s, dtype), null, 2));
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(FIXTURE, f), join(dir, f));
  const path = join(dir, 'model.safetensors');
  streamSafetensors(path, llamaTensors(s), dtype);
  return path;
}

function configJson(s: SynthShape, dtype: SynthDtype): Record<string, unknown> {
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_act: 'silu',
    hidden_size: s.hidden,
    intermediate_size: s.ffn,
    num_attention_heads: s.heads,
    num_key_value_heads: s.kvHeads,
    num_hidden_layers: s.layers,
    vocab_size: s.vocab,
    max_position_embeddings: 2048,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    tie_word_embeddings: false,
    torch_dtype: dtype === 'BF16' ? 'bfloat16' : 'float32',
  };
}

function streamSafetensors(path: string, tensors: readonly TensorSpec[], dtype: SynthDtype): void {
  const size = bytesPer(dtype);
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const t of tensors) {
    const n = count(t.shape) * size;
    header[t.name] = { dtype, shape: t.shape, data_offsets: [offset, offset + n] };
    offset += n;
  }
  const json = Buffer.from(JSON.stringify(header));
  const padded = Buffer.concat([json, Buffer.alloc((8 - (json.length % 8)) % 8, ' ')]);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(padded.length));
  const random = pattern(dtype);
  const ones = onesPattern(dtype);
  const fd = openSync(path, 'w');
  try {
    let position = 0;
    const put = (bytes: Uint8Array) => {
      writeAll(fd, bytes, position);
      position += bytes.length;
    };
    put(prefix);
    put(padded);
    // Each tensor starts the random pattern at its own offset: byte-identical tensors would let ONNX Runtime
    // share one copy between them and flatter every memory figure.
    tensors.forEach((t, index) => {
      const source = t.ones ? ones : random;
      let from = t.ones ? 0 : ((index * 7919) % (source.length / size)) * size;
      for (let left = count(t.shape) * size; left > 0;) {
        const piece = source.subarray(from, from + Math.min(left, source.length - from));
        put(piece);
        left -= piece.length;
        from = 0;
      }
    });
  } finally {
    closeSync(fd);
  }
}

/** Random N(0, 0.02²) values, seeded: the same checkpoint bytes on every run. */
function pattern(dtype: SynthDtype): Uint8Array {
  const rng = new Rng(7);
  const f32 = Float32Array.from({ length: PATTERN_VALUES }, () => rng.normal() * WEIGHT_STD);
  return dtype === 'F32' ? new Uint8Array(f32.buffer) : toBf16(f32);
}

function onesPattern(dtype: SynthDtype): Uint8Array {
  return dtype === 'F32'
    ? new Uint8Array(new Float32Array(1 << 16).fill(1).buffer)
    : toBf16(new Float32Array(1 << 16).fill(1));
}

/** bf16 = the top 16 bits of the float32 (truncation is fine for random data). */
function toBf16(f32: Float32Array): Uint8Array {
  const bits = new Uint32Array(f32.buffer);
  const out = new Uint16Array(f32.length);
  for (let i = 0; i < f32.length; i++) out[i] = bits[i]! >>> 16;
  return new Uint8Array(out.buffer);
}

function bytesPer(dtype: SynthDtype): number {
  return dtype === 'BF16' ? 2 : 4;
}

function count(shape: readonly number[]): number {
  return shape.reduce((a, d) => a * d, 1);
}
