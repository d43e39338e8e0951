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
async function outputDir(name: string, adapt?: MoeManifest['experts']['adapt']): Promise<string> {
  const dir = join(root, name);
  mkdirSync(dir);
  const roles: GraphRole[] = ['moe', 'moe_choice', 'moe_oracle', 'dense'];
  const base = fakeMoeManifest();
  const manifest = fakeMoeManifest({
    recipe: await loadRecipe(undefined), // the embedded texts exist
    experts: { ...base.experts, ...(adapt && { adapt }) },
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
});
