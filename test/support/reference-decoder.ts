/**
 * An independent float64 decoder for the Llama-shaped families (Llama, Mistral, Phi-3 with its fused projections),
 * written from the formulas of fixtures/golden/README.md and nothing of src/graph: it reads tensors by their Hugging
 * Face names and runs one sequence with a KV cache. RoPE is chosen per call, as transformers does per forward pass:
 * longrope takes the long factors when the call's largest position + 1 exceeds the original length, and the keys
 * already in the cache keep the rotation they got when they were computed. It stands in for transformers where no
 * reference file exists (longrope); the tests first check it against the golden references.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSafetensors } from '../../src/checkpoint/safetensors-read.js';

interface Config {
  hidden: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  ffn: number;
  layers: number;
  vocab: number;
  eps: number;
  theta: number;
  rotaryDim: number;
  window?: number;
  tied: boolean;
  longrope?: { short: number[]; long: number[]; original: number; attentionFactor: number };
}

type Weights = Map<string, Float64Array>;

export class ReferenceDecoder {
  /** Per layer, per cached position: rotated keys and values [kvHeads · headDim]. */
  private keys: Float64Array[][] = [];
  private values: Float64Array[][] = [];

  private constructor(
    readonly config: Config,
    private readonly w: Weights,
  ) {
    this.reset();
  }

  static async open(dir: string): Promise<ReferenceDecoder> {
    const raw = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as RawConfig;
    const file = await openSafetensors(join(dir, 'model.safetensors'));
    const w: Weights = new Map();
    for (const name of file.tensors.keys()) w.set(name, Float64Array.from(await file.readFloat32(name)));
    return new ReferenceDecoder(configOf(raw), w);
  }

  get cached(): number {
    return this.keys[0]!.length;
  }

  reset(): void {
    this.keys = Array.from({ length: this.config.layers }, () => []);
    this.values = Array.from({ length: this.config.layers }, () => []);
  }

  /** Runs `tokens` after the cached ones; returns each new position's logits [vocab]. */
  forward(tokens: readonly number[]): Float64Array[] {
    const c = this.config;
    const start = this.cached;
    const rope = this.ropeFor(start + tokens.length);
    let xs: Float64Array[] = tokens.map((t) =>
      this.w.get('model.embed_tokens.weight')!.slice(t * c.hidden, (t + 1) * c.hidden),
    );
    for (let l = 0; l < c.layers; l++) {
      const p = `model.layers.${l}.`;
      const attnIn = xs.map((x) => rms(x, this.w.get(`${p}input_layernorm.weight`)!, c.eps));
      const attnOut = this.attention(l, attnIn, start, rope);
      xs = xs.map((x, i) => add(x, attnOut[i]!));
      xs = xs.map((x) =>
        add(x, this.mlp(l, rms(x, this.w.get(`${p}post_attention_layernorm.weight`)!, c.eps))),
      );
    }
    const head = c.tied ? this.w.get('model.embed_tokens.weight')! : this.w.get('lm_head.weight')!;
    return xs.map((x) => matVec(head, rms(x, this.w.get('model.norm.weight')!, c.eps), c.vocab, c.hidden));
  }

  /** inv_freq and the cos/sin scale for a forward pass whose sequence is `length` long. */
  private ropeFor(length: number): { inv: number[]; scale: number } {
    const c = this.config;
    const half = c.rotaryDim / 2;
    const ext = c.longrope ? (length > c.longrope.original ? c.longrope.long : c.longrope.short) : undefined;
    const inv = Array.from(
      { length: half },
      (_, i) => 1 / ((ext?.[i] ?? 1) * c.theta ** ((2 * i) / c.rotaryDim)),
    );
    return { inv, scale: c.longrope?.attentionFactor ?? 1 };
  }

  private rotate(
    v: Float64Array,
    heads: number,
    pos: number,
    rope: { inv: number[]; scale: number },
  ): Float64Array {
    const { headDim, rotaryDim } = this.config;
    const out = v.slice();
    const half = rotaryDim / 2;
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < half; i++) {
        const a = pos * rope.inv[i]!;
        const [cos, sin] = [Math.cos(a) * rope.scale, Math.sin(a) * rope.scale];
        const [x1, x2] = [v[h * headDim + i]!, v[h * headDim + i + half]!];
        out[h * headDim + i] = x1 * cos - x2 * sin;
        out[h * headDim + i + half] = x2 * cos + x1 * sin;
      }
    }
    return out;
  }

  private projections(l: number, x: Float64Array): { q: Float64Array; k: Float64Array; v: Float64Array } {
    const c = this.config;
    const p = `model.layers.${l}.self_attn.`;
    const [nq, nk] = [c.heads * c.headDim, c.kvHeads * c.headDim];
    const fused = this.w.get(`${p}qkv_proj.weight`);
    if (fused) {
      const all = matVec(fused, x, nq + 2 * nk, c.hidden); // rows [q | k | v]
      return { q: all.slice(0, nq), k: all.slice(nq, nq + nk), v: all.slice(nq + nk) };
    }
    const proj = (n: string, out: number) => matVec(this.w.get(`${p}${n}_proj.weight`)!, x, out, c.hidden);
    return { q: proj('q', nq), k: proj('k', nk), v: proj('v', nk) };
  }

  private attention(
    l: number,
    xs: Float64Array[],
    start: number,
    rope: { inv: number[]; scale: number },
  ): Float64Array[] {
    const c = this.config;
    const qs = xs.map((x, i) => {
      const { q, k, v } = this.projections(l, x);
      this.keys[l]!.push(this.rotate(k, c.kvHeads, start + i, rope));
      this.values[l]!.push(v);
      return this.rotate(q, c.heads, start + i, rope);
    });
    const group = c.heads / c.kvHeads;
    return qs.map((q, i) => {
      const pos = start + i;
      const first = c.window === undefined ? 0 : Math.max(0, pos - c.window + 1); // i − W < j ≤ i
      const merged = new Float64Array(c.heads * c.headDim);
      for (let h = 0; h < c.heads; h++) {
        const kv = Math.floor(h / group);
        const scores: number[] = [];
        for (let j = first; j <= pos; j++) {
          let s = 0;
          for (let d = 0; d < c.headDim; d++)
            s += q[h * c.headDim + d]! * this.keys[l]![j]![kv * c.headDim + d]!;
          scores.push(s / Math.sqrt(c.headDim));
        }
        const max = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - max));
        const sum = e.reduce((a, b) => a + b, 0);
        e.forEach((p, n) => {
          const v = this.values[l]![first + n]!;
          for (let d = 0; d < c.headDim; d++)
            merged[h * c.headDim + d] = merged[h * c.headDim + d]! + (p / sum) * v[kv * c.headDim + d]!;
        });
      }
      return matVec(
        this.w.get(`model.layers.${l}.self_attn.o_proj.weight`)!,
        merged,
        c.hidden,
        c.heads * c.headDim,
      );
    });
  }

  private mlp(l: number, x: Float64Array): Float64Array {
    const c = this.config;
    const p = `model.layers.${l}.mlp.`;
    const fused = this.w.get(`${p}gate_up_proj.weight`);
    const gate = fused
      ? matVec(fused, x, c.ffn, c.hidden)
      : matVec(this.w.get(`${p}gate_proj.weight`)!, x, c.ffn, c.hidden);
    const up = fused
      ? matVec(fused.subarray(c.ffn * c.hidden), x, c.ffn, c.hidden)
      : matVec(this.w.get(`${p}up_proj.weight`)!, x, c.ffn, c.hidden);
    const h = gate.map((g, i) => (g / (1 + Math.exp(-g))) * up[i]!);
    return matVec(this.w.get(`${p}down_proj.weight`)!, h, c.hidden, c.ffn);
  }
}

/** The config.json fields this decoder reads. */
interface RawConfig {
  model_type: string;
  hidden_size: number;
  num_attention_heads: number;
  num_key_value_heads?: number;
  head_dim?: number;
  intermediate_size: number;
  num_hidden_layers: number;
  vocab_size: number;
  rms_norm_eps: number;
  rope_theta?: number;
  partial_rotary_factor?: number;
  tie_word_embeddings?: boolean;
  sliding_window?: number | null;
  max_position_embeddings: number;
  original_max_position_embeddings: number;
  rope_scaling?: { type?: string; rope_type?: string; short_factor: number[]; long_factor: number[] } | null;
}

function configOf(raw: RawConfig): Config {
  const heads = raw.num_attention_heads;
  const headDim = raw.head_dim ?? raw.hidden_size / heads;
  const rotaryDim = Math.floor(headDim * (raw.partial_rotary_factor ?? 1));
  const scaling = raw.rope_scaling;
  const config: Config = {
    hidden: raw.hidden_size,
    heads,
    kvHeads: raw.num_key_value_heads ?? heads,
    headDim,
    ffn: raw.intermediate_size,
    layers: raw.num_hidden_layers,
    vocab: raw.vocab_size,
    eps: raw.rms_norm_eps,
    theta: raw.rope_theta ?? 10000,
    rotaryDim,
    tied: raw.tie_word_embeddings ?? false,
  };
  // Mistral applies its window; Phi-3's eager attention (transformers 4.45) does not.
  if (raw.model_type === 'mistral' && raw.sliding_window) config.window = raw.sliding_window;
  if (scaling && (scaling.type ?? scaling.rope_type) === 'longrope') {
    const original = raw.original_max_position_embeddings;
    const s = raw.max_position_embeddings / original;
    config.longrope = {
      short: scaling.short_factor,
      long: scaling.long_factor,
      original,
      attentionFactor: s <= 1 ? 1 : Math.sqrt(1 + Math.log(s) / Math.log(original)),
    };
  }
  return config;
}

/** W [rows, cols] (row-major, `out_in`) · x [cols] → [rows]. */
function matVec(w: Float64Array, x: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let k = 0; k < cols; k++) s += w[r * cols + k]! * x[k]!;
    out[r] = s;
  }
  return out;
}

function rms(x: Float64Array, w: Float64Array, eps: number): Float64Array {
  const mean = x.reduce((s, v) => s + v * v, 0) / x.length;
  const inv = 1 / Math.sqrt(mean + eps);
  return x.map((v, i) => v * inv * w[i]!);
}

function add(a: Float64Array, b: Float64Array): Float64Array {
  return a.map((v, i) => v + b[i]!);
}
