/**
 * Per-layer budgets (`router.layer_budgets: greedy`) and `output.fixed_threshold: auto`. The budget search's
 * per-point scales (fed to each layer graph as s_l · threshold) measure what the same scales baked into the graphs
 * give. In a real `moefy convert` of kjv-llama: `auto` bakes the largest swept threshold within the tolerance on
 * calibration text past `calibration.tokens`, the budget scales searched there are recorded in the manifest with
 * their tuning measurements, and the layer-by-layer report equals `moefy eval` on the whole graphs. A calibration
 * text with nothing past `calibration.tokens` is refused before any work, by message and exit code.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { textWindows } from '../src/data/windows.js';
import { measureLayerSequential, type LayerPoint } from '../src/eval/layer-sweep.js';
import { loadModelIR } from '../src/families/load.js';
import { expertSizes } from '../src/ir/flops.js';
import { Rng } from '../src/util/random.js';
import { fixtureDir } from './support/golden.js';
import { moefy, SMALL_EVAL } from './support/kjv-convert.js';
import { caseExperts } from './support/moe-build.js';

const root = mkdtempSync(join(tmpdir(), 'moefy-budgets-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const env = { MOEFY_CACHE_DIR: join(root, 'cache') };
const kjv = fixtureDir('kjv-llama');

type Point = { kind: string; threshold: number | null; perplexity: number; ffn_fraction: number };
const points = (dir: string) =>
  (JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { points: Point[] }).points;

describe('scales fed per point', () => {
  it('measure what the same scales baked into the layer graphs measure', async () => {
    const ir = await loadModelIR(fixtureDir('kjv-llama'));
    const sizes = expertSizes(ir.config.ffnDim, [0.25, 0.5, 1], 16);
    const plain = caseExperts(ir, sizes).map((e) => ({ permutation: e.permutation, router: e.router! }));
    const scales = [0.25, 4, 1, 2];
    const rng = new Rng(3);
    const windows = textWindows({
      ids: Array.from({ length: 512 }, () => Math.floor(rng.next() * ir.config.vocabSize)),
      seqLen: 64,
      maxTokens: 512,
    });
    const model = {
      config: ir.config,
      ffnKind: ir.layers[0]!.ffn.kind,
      expertSizes: sizes,
      router: { hidden: ir.config.hidden, routerHidden: 8, experts: sizes.length },
    };
    const measure = (experts: typeof plain, points: LayerPoint[]) =>
      measureLayerSequential({
        layered: {
          ir,
          experts,
          errorBase: 'residual',
          dir: mkdtempSync(join(root, 'sweep-')),
          device: 'cpu',
          memoryBudgetBytes: Infinity,
        },
        model,
        windows,
        batch: 8,
        points,
      });
    const thresholds = [0.02, 0.05, 0.1, 0.2, 0.5];
    const point = (threshold: number, layerScales?: number[]): LayerPoint => ({
      kind: 'learned',
      threshold,
      expert: null,
      graph: 'learned',
      router: model.router,
      ...(layerScales && { layerScales }),
    });
    const fed = await measure(plain, [
      ...thresholds.map((t) => point(t)),
      ...thresholds.map((t) => point(t, scales)),
    ]);
    const baked = await measure(
      plain.map((e, i) => ({ ...e, thresholdScale: scales[i]! })),
      thresholds.map((t) => point(t)),
    );
    thresholds.forEach((t, i) => {
      const f = fed[thresholds.length + i]!;
      expect(Math.abs(f.perplexity / baked[i]!.perplexity - 1), `threshold ${t}`).toBeLessThan(1e-4);
      expect(Math.abs(f.ffn_fraction - baked[i]!.ffn_fraction), `threshold ${t}`).toBeLessThan(1e-3);
    });
    // The scales change the routing somewhere in the sweep, so the comparison above can fail.
    expect(thresholds.some((_, i) => fed[i]!.ffn_fraction !== fed[thresholds.length + i]!.ffn_fraction)).toBe(
      true,
    );
  }, 300_000);
});

describe('greedy per-layer budgets', () => {
  const out = join(root, 'out');
  beforeAll(() => {
    const recipe = join(root, 'budgets.yaml');
    writeFileSync(
      recipe,
      `calibration: { text: ${kjv}/calibration.txt, tokens: 8192, seq_len: 128, rows_per_layer: 2048, tuning_tokens: 2048 }
router: { kind: ridge, layer_budgets: { method: greedy, rounds: 3 } }
${SMALL_EVAL}
output: { fixed_threshold: auto, dtypes: [fp32] }
`,
    );
    const r = moefy(['convert', kjv, '--recipe', recipe, '--out', out, '--quiet'], env);
    if (r.code !== 0) throw new Error(`moefy convert failed (${r.code}): ${r.stderr}`);
  }, 600_000);

  it('auto: the fixed graphs get the largest swept threshold within +2% of dense on the tuning text', () => {
    const manifest = JSON.parse(readFileSync(join(out, 'moefy.json'), 'utf8')) as {
      fixed_threshold: number;
      recipe: { output: { fixed_threshold: number | string } };
      fixed_threshold_tuning: {
        threshold: number;
        windows: number;
        max_ppl_increase: number;
        dense_perplexity: number;
        points: { threshold: number; perplexity: number }[];
      };
    };
    const t = manifest.fixed_threshold_tuning;
    expect(t.windows).toBe(16);
    expect(t.points.map((p) => p.threshold)).toEqual([0, 0.05, 0.075, 0.2, 0.5]);
    const limit = t.dense_perplexity * (1 + t.max_ppl_increase);
    const within = t.points.filter((p) => p.perplexity <= limit).map((p) => p.threshold);
    expect(t.threshold).toBe(Math.max(...within));
    expect(within).not.toContain(0.5); // the sweep reaches past the tolerance, so the choice is a real cut
    // The resolved number is what the graphs, the manifest's recipe and the report carry.
    expect(manifest.fixed_threshold).toBe(t.threshold);
    expect(manifest.recipe.output.fixed_threshold).toBe(t.threshold);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { fixed_threshold: number };
    expect(report.fixed_threshold).toBe(t.threshold);
    console.log(`auto ${JSON.stringify(t)}`);
  });

  it('records the scales and their tuning measurements in the manifest', () => {
    const manifest = JSON.parse(readFileSync(join(out, 'moefy.json'), 'utf8')) as {
      fixed_threshold: number;
      router: { layer_budgets: Record<string, unknown> };
    };
    const b = manifest.router.layer_budgets as {
      method: string;
      scales: number[];
      threshold: number;
      windows: number;
      uniform: { perplexity: number; compute: number };
      chosen: { perplexity: number; compute: number };
    };
    expect(b.method).toBe('greedy');
    expect(b.threshold).toBe(manifest.fixed_threshold); // searched at the resolved fixed threshold
    expect(b.windows).toBe(16); // 2048 tokens in windows of 128
    expect(b.scales).toHaveLength(4);
    expect(b.scales.every((s) => s > 0)).toBe(true);
    // The search keeps the uniform scales unless a measured trade beat them at no more compute.
    expect(b.chosen.perplexity).toBeLessThanOrEqual(b.uniform.perplexity);
    expect(b.chosen.compute).toBeLessThanOrEqual(b.uniform.compute);
    console.log(`budgets ${JSON.stringify(b)}`);
  });

  it('bakes them into the graphs: the layer-by-layer report equals moefy eval on the whole graphs', () => {
    const layered = points(out);
    const r = moefy(['eval', out, '--no-latency', '--quiet'], env);
    expect(r.code, r.stderr).toBe(0);
    const whole = points(out);
    expect(whole.map((p) => [p.kind, p.threshold])).toEqual(layered.map((p) => [p.kind, p.threshold]));
    layered.forEach((p, i) => {
      expect(Math.abs(p.perplexity / whole[i]!.perplexity - 1), `${p.kind} ${p.threshold}`).toBeLessThan(
        1e-4,
      );
      expect(Math.abs(p.ffn_fraction - whole[i]!.ffn_fraction)).toBeLessThan(1e-3);
    });
  }, 600_000);
});

describe('tuning text', () => {
  it('refuses a calibration text with no window past calibration.tokens, before any work', () => {
    const text = join(root, 'short.txt');
    writeFileSync(text, readFileSync(join(kjv, 'calibration.txt'), 'utf8').slice(0, 3000));
    const recipe = join(root, 'short.yaml');
    writeFileSync(
      recipe,
      `calibration: { text: ${text}, tokens: 8192, seq_len: 128 }\nrouter: { layer_budgets: { method: greedy } }\n`,
    );
    const r = moefy(['convert', kjv, '--recipe', recipe, '--out', join(root, 'short')], {
      MOEFY_CACHE_DIR: join(root, 'cache-short'),
    });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n').at(-1)).toBe(
      'moefy: router.layer_budgets: short.txt holds no window of 128 tokens past calibration.tokens (8192); ' +
        'the budgets are tuned on calibration text that fitted nothing',
    );
    expect(r.stderr).not.toContain('[calibrate]');
  });
});
