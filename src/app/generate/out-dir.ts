/**
 * What `moefy generate` needs from an output directory: the router-driven graph, the KV-cache shape, the expert
 * sizes (to turn `expert_index` into an FFN fraction), the recipe's fixed threshold and the EOS ids. Validated
 * here so a foreign or hand-edited directory fails with the file and field at fault.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Precision } from '../../ir/precision.js';
import type { CacheShape } from '../../runtime/decoder-feeds.js';
import { InputError } from '../../util/errors.js';
import { MANIFEST_FILE, moeManifestSchema, readManifest } from '../shared/manifest.js';
import { readJsonFile } from '../shared/read-json.js';

const generateFields = moeManifestSchema.pick({
  kind: true,
  model: true,
  experts: true,
  fixed_threshold: true,
  graphs: true,
});

export interface GenerateTarget {
  /** The router-driven MoE graph (`router_threshold` in, `expert_index` out). */
  readonly graph: string;
  readonly cache: CacheShape;
  /** Neurons per expert, ascending; the last is the full FFN width. */
  readonly sizes: readonly number[];
  readonly ffnDim: number;
  readonly maxPositions: number;
  readonly fixedThreshold: number;
  readonly eosIds: ReadonlySet<number>;
  /** A longrope model's original length: decoding recomputes the cache when the sequence first grows past it. */
  readonly recomputePast?: number;
}

/** The router graph of `dtype` (default fp32: `model.onnx`; q4: `model_q4.onnx`, …). */
export async function readGenerateTarget(dir: string, dtype: Precision = 'fp32'): Promise<GenerateTarget> {
  const path = join(dir, MANIFEST_FILE);
  const m = await readManifest(dir, generateFields);
  const moe = m.graphs.filter((g) => g.role === 'moe');
  const graph = moe.find((g) => g.dtype === dtype)?.file;
  if (!graph && moe.length === 0)
    throw new InputError(`${path}: graphs: no "moe" graph; rerun \`moefy convert\``);
  if (!graph) {
    const have = [...new Set(moe.map((g) => g.dtype))].join(', ');
    throw new InputError(
      `--dtype ${dtype}: ${path} has no ${dtype} graphs (it has ${have}); convert with ${dtype} in output.dtypes`,
    );
  }
  const { model } = m;
  return {
    graph: join(dir, graph),
    cache: { layers: model.layers, kvHeads: model.kv_heads, headDim: model.head_dim },
    sizes: m.experts.sizes,
    ffnDim: model.ffn_dim,
    maxPositions: model.max_positions,
    fixedThreshold: m.fixed_threshold,
    eosIds: await eosIds(dir),
    ...(model.longrope_original_length !== undefined && { recomputePast: model.longrope_original_length }),
  };
}

/** `eos_token_id` (a number or a list) from generation_config.json, else config.json; none when absent. */
async function eosIds(dir: string): Promise<Set<number>> {
  for (const name of ['generation_config.json', 'config.json']) {
    const path = join(dir, name);
    if (!existsSync(path)) continue;
    const value = (await readJsonFile(path, eosField, '')).eos_token_id;
    if (value !== undefined && value !== null) return new Set(typeof value === 'number' ? [value] : value);
  }
  return new Set();
}

const tokenId = z.number().int().nonnegative();
const eosField = z.object({ eos_token_id: z.union([tokenId, z.array(tokenId)]).nullish() });
