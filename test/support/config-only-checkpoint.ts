/**
 * A published model's config.json (fixtures/configs/) as an offline Hub-cache snapshot that `moefy plan` and
 * `moefy inspect` can read: the real config, the golden byte-level tokenizer, and a `model.safetensors` whose header
 * lists the checkpoint's tensors (Hugging Face names, bf16, the shapes the config implies) over a sparse data area,
 * so a 3.8B model costs a few KB of disk. The tensor lists are written here from each architecture's published
 * layout, independently of src/families.
 */
import { copyFileSync, mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureDir } from './golden.js';

export const PUBLISHED = {
  'Llama-3.2-1B': 'meta-llama/Llama-3.2-1B',
  'Qwen3-0.6B': 'Qwen/Qwen3-0.6B',
  'gemma-3-1b-it': 'google/gemma-3-1b-it',
  'Phi-4-mini-instruct': 'microsoft/Phi-4-mini-instruct',
} as const;
export type PublishedModel = keyof typeof PUBLISHED;

const SHA = 'c0ffee0000000000000000000000000000000001';

export function publishedConfig(name: PublishedModel): Record<string, unknown> {
  return JSON.parse(
    readFileSync(new URL(`../../fixtures/configs/${name}/config.json`, import.meta.url), 'utf8'),
  );
}

/** Writes `models--org--name` (refs/main → snapshot) into `cacheDir`; returns the repo id. */
export function seedPublishedModel(cacheDir: string, name: PublishedModel): string {
  const repo = PUBLISHED[name];
  const folder = join(cacheDir, `models--${repo.replace('/', '--')}`);
  const snapshot = join(folder, 'snapshots', SHA);
  mkdirSync(snapshot, { recursive: true });
  mkdirSync(join(folder, 'refs'), { recursive: true });
  writeFileSync(join(folder, 'refs', 'main'), SHA);
  const noExist = join(folder, '.no_exist', SHA);
  mkdirSync(noExist, { recursive: true });
  for (const f of ['generation_config.json', 'special_tokens_map.json']) writeFileSync(join(noExist, f), '');
  const config = publishedConfig(name);
  writeFileSync(join(snapshot, 'config.json'), JSON.stringify(config));
  for (const f of ['tokenizer.json', 'tokenizer_config.json'])
    copyFileSync(join(fixtureDir('phi3'), f), join(snapshot, f));
  writeSparseSafetensors(join(snapshot, 'model.safetensors'), tensorsOf(config));
  return repo;
}

type Shapes = [string, number[]][];

/** The checkpoint's tensors by architecture (model_type), from its published layout. */
function tensorsOf(c: Record<string, unknown>): Shapes {
  const n = (k: string) => c[k] as number;
  const [H, I, V, L] = [n('hidden_size'), n('intermediate_size'), n('vocab_size'), n('num_hidden_layers')];
  const heads = n('num_attention_heads');
  const kv = (c.num_key_value_heads as number | undefined) ?? heads;
  const hd = (c.head_dim as number | undefined) ?? H / heads;
  const type = c.model_type as string;
  const out: Shapes = [
    ['model.embed_tokens.weight', [V, H]],
    ['model.norm.weight', [H]],
  ];
  if (!c.tie_word_embeddings && type !== 'gemma3_text') out.push(['lm_head.weight', [V, H]]);
  for (let i = 0; i < L; i++) {
    const p = `model.layers.${i}.`;
    out.push([`${p}input_layernorm.weight`, [H]], [`${p}post_attention_layernorm.weight`, [H]]);
    out.push([`${p}self_attn.o_proj.weight`, [H, heads * hd]], [`${p}mlp.down_proj.weight`, [H, I]]);
    if (type === 'phi3') {
      out.push([`${p}self_attn.qkv_proj.weight`, [(heads + 2 * kv) * hd, H]]);
      out.push([`${p}mlp.gate_up_proj.weight`, [2 * I, H]]);
      continue;
    }
    out.push([`${p}self_attn.q_proj.weight`, [heads * hd, H]]);
    out.push([`${p}self_attn.k_proj.weight`, [kv * hd, H]], [`${p}self_attn.v_proj.weight`, [kv * hd, H]]);
    out.push([`${p}mlp.gate_proj.weight`, [I, H]], [`${p}mlp.up_proj.weight`, [I, H]]);
    if (type === 'qwen3' || type === 'gemma3_text') {
      out.push([`${p}self_attn.q_norm.weight`, [hd]], [`${p}self_attn.k_norm.weight`, [hd]]);
    }
    if (type === 'gemma3_text') {
      out.push([`${p}pre_feedforward_layernorm.weight`, [H]], [`${p}post_feedforward_layernorm.weight`, [H]]);
    }
  }
  return out;
}

/** A valid safetensors file of bf16 tensors whose data area is a hole: its size is right, no byte is written. */
function writeSparseSafetensors(path: string, tensors: Shapes): void {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, shape] of tensors) {
    const bytes = 2 * shape.reduce((a, b) => a * b, 1);
    header[name] = { dtype: 'BF16', shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = Buffer.from(
    JSON.stringify(header).padEnd(Math.ceil(JSON.stringify(header).length / 8) * 8, ' '),
  );
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(path, Buffer.concat([prefix, json]));
  truncateSync(path, 8 + json.length + offset);
}

/** Total parameters of the tensors the snapshot lists (the published count of the model). */
export function publishedParameters(name: PublishedModel): number {
  return tensorsOf(publishedConfig(name)).reduce((s, [, shape]) => s + shape.reduce((a, b) => a * b, 1), 0);
}
