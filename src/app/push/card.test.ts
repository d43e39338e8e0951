/** The model card of a Hub-sourced conversion: front matter the Hub reads, the recommendation, the license. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type FakeHub, fakeSha, startFakeHub } from '../../../test/support/fake-hub.js';
import { fakeReport } from '../../../test/support/fake-report.js';
import { removeTempDirs, tempDir } from '../../../test/support/hub-cache-check.js';
import { baseModelLicense } from '../../checkpoint/model-card.js';
import { modelCard } from './card.js';
import { fakeMoeManifest, fakeRecipe } from '../../../test/support/fake-manifest.js';
import type { CardManifest } from './card-manifest.js';
import { recommendPoint } from './recommend.js';

afterAll(removeTempDirs);

const SHA = 'f'.repeat(40);
const manifest: CardManifest = fakeMoeManifest({
  source: {
    kind: 'hub',
    repo: 'HuggingFaceTB/SmolLM2-135M',
    revision: 'main',
    sha: SHA,
    endpoint: 'https://huggingface.co',
    files: [],
  },
  model: { ...fakeMoeManifest().model, layers: 30, ffn_dim: 1536 },
  recipe: fakeRecipe({ calibration: { text: '/home/me/secret/cal.txt' } }),
  experts: {
    sizes: [192, 384, 768, 1152, 1536],
    fractions: [0.125, 0.25, 0.5, 0.75, 1],
    permutation_digests: [],
  },
  data: {
    eval: {
      kind: 'hub',
      id: 'Salesforce/wikitext',
      config: 'wikitext-2-raw-v1',
      split: 'test',
      column: 'text',
      revision: 'main',
      sha: SHA,
      files_revision: null,
      files_sha: SHA,
      files: {},
    },
  },
});

function frontMatter(card: string): Record<string, unknown> {
  return parse(/^---\n([\s\S]*?)\n---\n/.exec(card)![1]!) as Record<string, unknown>;
}

describe('modelCard', () => {
  it('names the base model with its revision, the license, datasets and the recommended threshold', () => {
    const report = fakeReport();
    const card = modelCard({
      repo: 'me/smol-moe',
      report,
      manifest,
      license: 'apache-2.0',
      curve: 'curve.png',
      version: '0.1.0',
    });
    const rec = recommendPoint(report, 1.02)!;
    expect(frontMatter(card)).toEqual({
      base_model: 'HuggingFaceTB/SmolLM2-135M',
      license: 'apache-2.0',
      library_name: 'transformers.js',
      pipeline_tag: 'text-generation',
      tags: ['onnx', 'moe', 'moefy', 'transformers.js', 'dynamic-moe', 'llama'],
      datasets: ['Salesforce/wikitext'],
      moefy: {
        version: '0.1.0',
        base_model_revision: SHA,
        expert_sizes: [192, 384, 768, 1152, 1536],
        fixed_threshold: 0.075,
        recommended_threshold: rec.point.threshold,
      },
    });
    expect(card).toContain(`**Recommended threshold: ${rec.point.threshold}**`);
    expect(card).toContain('![perplexity against compute](curve.png)');
    expect(card).toContain('"router_threshold": np.array(');
    expect(card).not.toContain('/home/me/secret');
  });

  it('recommends the cheapest learned point within the tolerance, or none', () => {
    const report = fakeReport();
    const dense = report.points.find((p) => p.kind === 'dense')!;
    const rec = recommendPoint(report, 1.02)!;
    const within = report.points.filter(
      (p) => p.kind === 'learned' && p.perplexity <= dense.perplexity * 1.02,
    );
    expect(rec.point.flops_fraction).toBe(Math.min(...within.map((p) => p.flops_fraction)));
    // report.json's own recommendation wins; an older report without one gets the same rule here.
    expect(rec.from).toBe('report');
    expect(rec.point.threshold).toBe(report.recommended!.threshold);
    const older = { ...report, recommended: undefined };
    expect(recommendPoint(older, 1.02)).toMatchObject({
      from: 'push',
      point: { threshold: rec.point.threshold },
    });
    expect(recommendPoint(older, 1)?.point.perplexity ?? dense.perplexity).toBeLessThanOrEqual(
      dense.perplexity,
    );
    const card = modelCard({
      repo: 'me/x',
      report: { ...report, points: [dense], recommended: undefined },
      manifest,
      license: null,
      curve: null,
      version: '0.1.0',
    });
    expect(frontMatter(card).license).toBeUndefined();
    expect(card).toContain("No measured learned point is within the recipe's tolerance of +2.00% perplexity");
  });
});

describe('baseModelLicense', () => {
  let hub: FakeHub | undefined;
  afterAll(async () => hub?.close());

  it("reads `license` from the base model's card on the Hub (at the pinned commit) or in a local directory", async () => {
    const dir = join(await tempDir(), 'model');
    mkdirSync(dir);
    writeFileSync(join(dir, 'README.md'), '---\nlicense: apache-2.0\ntags: [x]\n---\n# m\n');
    hub = await startFakeHub({ repos: { 'org/m': { dir }, 'org/nocard': { dir: await tempDir() } } });
    const opts = { endpoint: hub.url, cacheDir: await tempDir(), env: {} };
    expect(await baseModelLicense({ kind: 'hub', repo: 'org/m', sha: fakeSha('org/m') }, opts)).toBe(
      'apache-2.0',
    );
    expect(
      await baseModelLicense({ kind: 'hub', repo: 'org/nocard', sha: fakeSha('org/nocard') }, opts),
    ).toBeNull();
    expect(await baseModelLicense({ kind: 'local', path: dir })).toBe('apache-2.0');
    writeFileSync(join(dir, 'README.md'), '# no front matter\n');
    expect(await baseModelLicense({ kind: 'local', path: dir })).toBeNull();
  });
});
