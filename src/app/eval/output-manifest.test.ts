import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fakeMoeManifest } from '../../../test/support/fake-manifest.js';
import { loadRecipe } from '../../recipe/load.js';
import { GRAPH_FILES, type GraphRole, type MoeManifest } from '../shared/manifest.js';
import { readOutputEval } from './output-manifest.js';

const root = mkdtempSync(join(tmpdir(), 'moefy-output-eval-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** An output directory holding only its moefy.json (the eval plan needs nothing else). */
async function outputDir(
  name: string,
  adapt?: MoeManifest['experts']['adapt'],
  input?: MoeManifest['router']['input'],
): Promise<string> {
  const dir = join(root, name);
  mkdirSync(dir);
  const roles: GraphRole[] = ['moe', 'moe_choice', 'moe_oracle', 'dense'];
  const base = fakeMoeManifest();
  const manifest = fakeMoeManifest({
    recipe: await loadRecipe(undefined), // the embedded texts exist
    experts: { ...base.experts, ...(adapt && { adapt }) },
    router: { ...base.router, ...(input && { input }) },
    graphs: roles.map((role) => ({
      role,
      file: GRAPH_FILES[role],
      data: 'model.onnx.data',
      dtype: 'fp32' as const,
      inputs: [],
      outputs: [],
      sha256: '0'.repeat(64),
    })),
  });
  writeFileSync(join(dir, 'moefy.json'), JSON.stringify(manifest));
  return dir;
}

describe('the eval plan of an output directory', () => {
  it('takes expert adaptation from the manifest: an older one without it has bare prefixes', async () => {
    const old = await readOutputEval(await outputDir('old'));
    expect(old.plan.stages.experts.adapt).toMatchObject({ method: 'none', extraParams: 0 });
    const extra = 4 * (65 + 129 + 257 + 385) * 128;
    const lsq = await readOutputEval(
      await outputDir('lsq', { method: 'lsq', ridge: 0.001, extra_params: extra }),
    );
    expect(lsq.plan.stages.experts.adapt).toMatchObject({ method: 'lsq', extraParams: extra });
  });

  it("takes the routers' input from the manifest: an older one without it read x alone (no log‖r‖ cost)", async () => {
    const old = await readOutputEval(await outputDir('old-router'));
    expect(old.plan.recipe.router.input).toBe('normed');
    const now = await readOutputEval(await outputDir('log-norm', undefined, 'normed+log_norm'));
    expect(now.plan.recipe.router.input).toBe('normed+log_norm');
    // ‖r‖² (d = 128 MACs) and one more input row (hidden 64) per layer, 4 layers.
    expect(now.plan.router.macsPerToken - old.plan.router.macsPerToken).toBe(4 * (128 + 64));
  });
});
