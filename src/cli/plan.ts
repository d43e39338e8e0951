import type { Command } from 'commander';
import type { RecipeOverrides } from '../recipe/types.js';
import { parseSeed, parseThresholds, recipeOrModel } from './flags.js';

interface PlanFlags {
  recipe?: string;
  json?: boolean;
  revision?: string;
  offline?: boolean;
  device?: string;
  dtype?: string;
  seed?: string;
  thresholds?: string;
}

export function registerPlan(program: Command): void {
  program
    .command('plan [recipe-or-ref]')
    .description(
      'resolved recipe, model shapes, expert grid, FLOPs, memory/disk/time estimates; writes nothing',
    )
    .addHelpText(
      'after',
      '\nA *.yaml argument is a recipe (as --recipe); anything else is a model (local dir or Hub id) under the default recipe;\n' +
        'no argument plans the built-in default recipe on the embedded kjv-llama (what `moefy convert` runs).',
    )
    .option('--recipe <file>', 'recipe YAML (default: the built-in recipe)')
    .option('--json', 'print the plan as JSON')
    .option('--revision <rev>', 'Hub branch, tag or commit sha (overrides the recipe)')
    .option('--offline', 'use the Hub cache only (also HF_HUB_OFFLINE=1)')
    .option('--device <device>', 'router training device: cpu | cuda (overrides router.train.device)')
    .option('--dtype <dtype>', 'emitted weight dtype: auto | float32 | float16 | bfloat16 (overrides dtype)')
    .option('--seed <n>', 'random seed (overrides seed)')
    .option(
      '--thresholds <list>',
      'comma-separated router thresholds to evaluate (overrides eval.thresholds)',
    )
    .action(async (target: string | undefined, flags: PlanFlags) => {
      const { loadRecipe } = await import('../recipe/load.js');
      const { recipePath, model } = recipeOrModel(target, flags.recipe);
      const overrides = { ...toOverrides(flags), ...(model ? { model } : {}) };
      const recipe = await loadRecipe(recipePath, overrides);
      const { planRecipe } = await import('../app/plan/run.js');
      const plan = await planRecipe(recipe, { offline: flags.offline === true });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
        return;
      }
      const { formatPlan } = await import('../app/plan/format.js');
      process.stdout.write(`${formatPlan(plan, recipePath ?? 'built-in default')}\n`);
    });
}

/** Flags arrive as strings; loadRecipe validates them with the recipe's own field schemas. */
function toOverrides(flags: PlanFlags): RecipeOverrides {
  const raw = {
    revision: flags.revision,
    device: flags.device,
    dtype: flags.dtype,
    seed: flags.seed === undefined ? undefined : parseSeed('--seed', flags.seed),
    thresholds: flags.thresholds === undefined ? undefined : parseThresholds(flags.thresholds),
  };
  return Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)) as RecipeOverrides;
}
