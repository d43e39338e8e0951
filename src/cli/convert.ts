import type { Command } from 'commander';
import { parseSeed, parseThresholds, recipeOrModel } from './flags.js';

interface ConvertFlags {
  recipe?: string;
  out?: string;
  revision?: string;
  device?: string;
  dtype?: string;
  seed?: string;
  thresholds?: string;
  offline?: boolean;
  force?: boolean;
  updateLock?: boolean;
  quiet?: boolean;
  json?: boolean;
}

export function registerConvert(program: Command): void {
  program
    .command('convert [recipe-or-ref]')
    .description(
      'dense checkpoint → nested-expert MoE ONNX model with routers (default: the embedded kjv-llama)',
    )
    .addHelpText(
      'after',
      '\nA *.yaml argument is a recipe (as --recipe); anything else is a model (local dir or Hub id) under the recipe.',
    )
    .option('--recipe <file>', 'recipe YAML (default: the built-in recipe)')
    .option('--out <dir>', 'output directory (default: moefy-out/<model-name>)')
    .option('--revision <rev>', 'Hub branch, tag or commit sha')
    .option('--device <device>', 'router training device: cpu | cuda')
    .option('--dtype <dtype>', 'emitted weight precision: auto | float32 | float16 | bfloat16')
    .option('--seed <n>', 'seed for sampling, initialisation and shuffling')
    .option(
      '--thresholds <list>',
      'comma-separated router thresholds to evaluate (overrides eval.thresholds)',
    )
    .option('--offline', 'use the Hub cache only (also HF_HUB_OFFLINE=1)')
    .option('--force', 'replace an existing output directory')
    .option('--update-lock', "accept a checkpoint that differs from the recipe's lock file")
    .option('--quiet', 'no progress output')
    .option('--json', 'print the result as JSON on stdout')
    .action(async (ref: string | undefined, flags: ConvertFlags) => {
      const { runConvert } = await import('../app/convert/run.js');
      const seed = flags.seed === undefined ? undefined : parseSeed('--seed', flags.seed);
      const thresholds = flags.thresholds === undefined ? undefined : parseThresholds(flags.thresholds);
      const { recipePath, model } = recipeOrModel(ref, flags.recipe);
      const overrides = {
        ...(model ? { model } : {}),
        ...(flags.revision ? { revision: flags.revision } : {}),
        ...(flags.device ? { device: flags.device } : {}),
        ...(flags.dtype ? { dtype: flags.dtype } : {}),
        ...(seed !== undefined ? { seed } : {}),
        ...(thresholds !== undefined ? { thresholds } : {}),
      };
      const { out, force, offline, updateLock, quiet, json } = flags;
      await runConvert({ recipePath, overrides, out, force, offline, updateLock, quiet, json });
    });
}
