/**
 * What `moefy eval` runs on an output directory: the plan rebuilt from its moefy.json (the recorded recipe, with the
 * command's flags applied through the recipe's rules, planned for the eval stage) and the graph files by role.
 * A hand-edited or foreign manifest fails naming the field; one whose experts disagree with its own recipe fails
 * before any graph is loaded.
 */
import { join } from 'node:path';
import type { z } from 'zod';
import type { CheckpointSource } from '../../checkpoint/resolve.js';
import type { EvalGraphs } from '../../eval/eval-model.js';
import type { Precision } from '../../ir/precision.js';
import { reviseRecipe } from '../../recipe/load.js';
import type { Recipe } from '../../recipe/types.js';
import { InputError } from '../../util/errors.js';
import { plan } from '../plan/plan.js';
import type { ModelShape, Plan } from '../plan/types.js';
import {
  configFromManifest,
  type GraphRole,
  MANIFEST_FILE,
  type ManifestSource,
  moeManifestSchema,
  readManifest,
} from '../shared/manifest.js';

const evalFields = moeManifestSchema.pick({
  kind: true,
  source: true,
  model: true,
  recipe: true,
  experts: true,
  router: true,
  graphs: true,
});
type EvalFields = z.output<typeof evalFields>;

/** The graph each sweep series runs, by the role emit.ts gives it. */
const SWEEP_ROLES = {
  learned: 'moe',
  oracle: 'moe_oracle',
  choice: 'moe_choice',
  dense: 'dense',
} as const satisfies Record<keyof EvalGraphs, GraphRole>;

/** The graphs of a non-fp32 precision the sweep measures: its router graph and (with output.dense) its dense. */
export interface PrecisionGraphs {
  readonly dtype: Exclude<Precision, 'fp32'>;
  readonly learned: string;
  readonly dense?: string;
  /** Those graphs and their external data (the evaluation cache's key). */
  readonly files: string[];
}

export interface OutputEval {
  readonly plan: Plan;
  /** Absolute paths of the fp32 graphs the sweep runs. */
  readonly graphs: EvalGraphs;
  /** Every file those graphs read, their external data included (the evaluation cache's key). */
  readonly files: string[];
  /** Other precisions (output.dtypes), in the manifest's order. */
  readonly precisions: PrecisionGraphs[];
}

export interface OutputEvalOptions {
  /** Convert's own plan: already checked, used as it is. */
  readonly plan?: Plan;
  /** Eval settings that replace the recorded ones (`moefy check <recipe>`). */
  readonly settings?: Recipe['eval'];
  /** Command-line flags, as recipe overrides (thresholds, evalText, evalTokens). */
  readonly overrides?: Readonly<Record<string, unknown>>;
  /**
   * Convert measuring layer by layer takes the dense point from the checkpoint, so a directory written with
   * `output.dense: false` is fine there; everywhere else the dense graph is the baseline the sweep runs.
   */
  readonly denseOptional?: boolean;
}

export async function readOutputEval(dir: string, opts: OutputEvalOptions = {}): Promise<OutputEval> {
  const path = join(dir, MANIFEST_FILE);
  const m = await readManifest(dir, evalFields);
  const planned = opts.plan ?? planFromManifest(m, path, opts);
  const sizes = planned.experts.map((e) => e.neurons);
  if (sizes.join() !== m.experts.sizes.join()) {
    throw new InputError(
      `${path}: experts.sizes [${m.experts.sizes.join(', ')}] are not what its recipe gives this model ` +
        `[${sizes.join(', ')}]; rerun \`moefy convert\``,
    );
  }
  const swept: readonly GraphRole[] = Object.values(SWEEP_ROLES);
  const files = m.graphs
    .filter((g) => swept.includes(g.role) && g.dtype === 'fp32')
    .flatMap((g) => [g.file, g.data]);
  return {
    plan: planned,
    graphs: graphFiles(dir, m, { path, denseOptional: opts.denseOptional ?? false }),
    files: files.map((f) => join(dir, f)),
    precisions: precisionGraphs(dir, m.graphs),
  };
}

function planFromManifest(m: EvalFields, path: string, opts: OutputEvalOptions): Plan {
  const settled = opts.settings ? { ...m.recipe, eval: opts.settings } : m.recipe;
  // What the graphs hold is the manifest's `experts.adapt`: one written before expert adaptation existed has bare
  // prefixes, whatever the recipe schema's default says today.
  // Likewise its routers' input (counted in ffn_router_fraction): one written before the choice read x alone.
  const recorded = {
    ...settled,
    experts: { ...settled.experts, adapt: m.experts.adapt?.method ?? 'none' },
    router: { ...settled.router, input: m.router.input ?? 'normed' },
  };
  const recipe = reviseRecipe(recorded, path, opts.overrides);
  const model: ModelShape = {
    config: configFromManifest(m.model),
    ffnKind: m.model.ffn_kind,
    // Manifests from before `positions` was recorded: the convert that wrote them already ran this eval's
    // latency settings (no flag changes them), so only the learned-table check it made is skipped.
    positions: m.model.positions ?? 'rope',
    source: checkpointSource(m.source),
  };
  return plan({ recipe, model, environment: { unavailable: {} }, stages: ['eval'] });
}

function checkpointSource(s: ManifestSource): CheckpointSource {
  if (s.kind === 'local') return { kind: 'local', path: s.path };
  return { kind: 'hub', repo: s.repo, revision: s.revision, sha: s.sha, endpoint: s.endpoint };
}

function graphFiles(dir: string, m: EvalFields, o: { path: string; denseOptional: boolean }): EvalGraphs {
  const { path } = o;
  const find = (role: GraphRole) => m.graphs.find((g) => g.role === role && g.dtype === 'fp32')?.file;
  const file = (role: GraphRole): string => {
    const found = find(role);
    if (!found) throw new InputError(`${path}: graphs: no ${role} graph; rerun \`moefy convert\``);
    return join(dir, found);
  };
  const dense = find(SWEEP_ROLES.dense);
  if (!dense && !o.denseOptional) {
    throw new InputError(
      `${path}: graphs: no dense graph (written with output.dense: false); the evaluation of a directory ` +
        'measures against it: rerun `moefy convert` with output.dense: true',
    );
  }
  return {
    learned: file(SWEEP_ROLES.learned),
    oracle: file(SWEEP_ROLES.oracle),
    choice: file(SWEEP_ROLES.choice),
    ...(dense && { dense: join(dir, dense) }),
  };
}

function precisionGraphs(dir: string, graphs: EvalFields['graphs']): PrecisionGraphs[] {
  const dtypes = [...new Set(graphs.flatMap((g) => (g.dtype === 'fp32' ? [] : [g.dtype])))];
  return dtypes.flatMap((dtype) => {
    const entry = (role: GraphRole) => graphs.find((g) => g.role === role && g.dtype === dtype);
    const [learned, dense] = [entry(SWEEP_ROLES.learned), entry(SWEEP_ROLES.dense)];
    if (!learned) return [];
    const files = [learned, ...(dense ? [dense] : [])]
      .flatMap((g) => [g.file, g.data])
      .map((f) => join(dir, f));
    return [
      { dtype, learned: join(dir, learned.file), ...(dense && { dense: join(dir, dense.file) }), files },
    ];
  });
}
