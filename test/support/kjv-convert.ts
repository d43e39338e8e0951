/** A small kjv-llama MoE conversion (ridge routers, little calibration) for tests that need an output directory. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { fixtureDir } from './golden.js';
import { runCli } from './cli.js';

export function moefy(args: readonly string[], env: Record<string, string> = {}) {
  return runCli(args, { env: { HF_HUB_OFFLINE: '1', CI: 'true', ...env } });
}

/** convert ends with the evaluation: a small budget keeps the tests fast (the default sweeps 65536 tokens). */
export const SMALL_EVAL =
  'eval: { tokens: 2048, seq_len: 64, batch: 8, thresholds: [0, 0.05, 0.075, 0.2, 0.5], ' +
  'latency: { seq: 32, repeats: 2, decode_tokens: 4, threads: 1 } }';

/**
 * fp32 graphs only: every other precision of output.dtypes (the default adds q4) is emitted and evaluated too, so
 * conversions in tests about something else leave it out. test/eval-report.test.ts keeps the default.
 */
export const FP32_ONLY = 'output: { dtypes: [fp32] }';

/** Which output.dtypes a test conversion writes: fp32 only, or the recipe default ([fp32, q4]). */
export type KjvDtypes = 'fp32' | 'recipe default';

/**
 * The small ridge recipe of convertKjv, written into `root` (`extra` YAML merged in); fp32 graphs only unless
 * `dtypes` says otherwise or `extra` names output.dtypes.
 */
export function kjvRecipe(root: string, extra = '', name = 'ridge.yaml', dtypes: KjvDtypes = 'fp32'): string {
  const kjv = fixtureDir('kjv-llama');
  const recipe = join(root, name);
  const base = parse(
    `calibration: { text: ${kjv}/calibration.txt, tokens: 8192, seq_len: 128, rows_per_layer: 2048 }
router: { kind: ridge }
${SMALL_EVAL}
`,
  ) as Record<string, unknown>;
  // `extra` may name a section the base has (router:): its fields join the base's, one level deep.
  const more = (parse(extra) ?? {}) as Record<string, unknown>;
  const doc: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(more))
    doc[k] = isObject(base[k]) && isObject(v) ? { ...base[k], ...v } : v;
  if (dtypes === 'fp32') doc.output = { dtypes: ['fp32'], ...(doc.output as object | undefined) };
  writeFileSync(recipe, stringify(doc));
  return recipe;
}

/**
 * Converts kjv-llama into `root/out` with a stage cache under `root`; throws with moefy's stderr on failure.
 * `extra` is merged into the recipe (e.g. `output: { dtypes: [fp32, fp16, q4] }`).
 */
export function convertKjv(root: string, extra = '', dtypes: KjvDtypes = 'fp32'): string {
  const out = join(root, 'out');
  const recipe = kjvRecipe(root, extra, 'ridge.yaml', dtypes);
  const r = moefy(['convert', fixtureDir('kjv-llama'), '--recipe', recipe, '--out', out, '--quiet'], {
    MOEFY_CACHE_DIR: join(root, 'cache'),
  });
  if (r.code !== 0) throw new Error(`moefy convert failed (${r.code}): ${r.stderr}`);
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
