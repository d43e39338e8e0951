/**
 * `moefy convert` with `experts.adapt: lsq` on kjv-llama as a real child process, beside the same conversion with
 * bare prefixes (one stage cache, so calibration is shared): the adapted static slices beat the bare ones on the
 * held-out text, threshold 0 is still the dense model, the manifest and plan count the extra parameters, the report
 * counts router compute, and the adapted graphs pass the ONNX checker. `joint` (one shared down projection) adds no
 * parameters, changes only the MoE graphs (dense keeps the checkpoint's weights), reports threshold 0's perplexity
 * increase, and its layer-by-layer report matches `moefy eval` on the emitted whole graphs.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../src/report/types.js';
import { fixtureDir } from './support/golden.js';
import { FP32_ONLY, moefy, SMALL_EVAL } from './support/kjv-convert.js';
import { checkOnnxModel } from './support/onnx-checker.js';

const root = mkdtempSync(join(tmpdir(), 'moefy-adapt-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const env = { MOEFY_CACHE_DIR: join(root, 'cache') };
const kjv = fixtureDir('kjv-llama');

type Adapt = 'none' | 'lsq' | 'joint';

function recipe(name: string, adapt: Adapt): string {
  const path = join(root, `${name}.yaml`);
  writeFileSync(
    path,
    `calibration: { text: ${kjv}/calibration.txt, tokens: 8192, seq_len: 128, rows_per_layer: 2048 }
experts: { adapt: ${adapt} }
router: { kind: ridge }
${SMALL_EVAL}
${FP32_ONLY}
`,
  );
  return path;
}

function convert(adapt: Adapt): { dir: string; report: Report; manifest: Record<string, unknown> } {
  const dir = join(root, adapt);
  const r = moefy(['convert', kjv, '--recipe', recipe(adapt, adapt), '--out', dir, '--quiet'], env);
  if (r.code !== 0) throw new Error(`moefy convert failed (${r.code}): ${r.stderr}`);
  const read = (f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as unknown;
  return {
    dir,
    report: read('report.json') as Report,
    manifest: read('moefy.json') as Record<string, unknown>,
  };
}

describe('moefy convert with adapted experts (lsq)', () => {
  let bare: ReturnType<typeof convert>;
  let lsq: ReturnType<typeof convert>;
  // Two whole conversions: past the default hook timeout on a busy two-core machine.
  beforeAll(() => {
    bare = convert('none');
    lsq = convert('lsq');
  }, 600_000);

  it('beats bare prefixes at every smaller static width on the held-out text', () => {
    const statics = (r: Report) => r.points.filter((p) => p.kind === 'static').map((p) => p.perplexity);
    const [b, a] = [statics(bare.report), statics(lsq.report)];
    expect(a).toHaveLength(5);
    for (let k = 0; k < 4; k++) expect(a[k], `expert ${k}`).toBeLessThan(b[k]!);
    expect(a[4]).toBeCloseTo(b[4]!, 4); // the full expert is the dense FFN in both
    console.log(
      `static ppl bare ${b.map((v) => v.toFixed(3)).join('/')} vs lsq ${a.map((v) => v.toFixed(3)).join('/')}`,
    );
  });

  it('keeps threshold 0 the dense model and counts the router in ffn_router_fraction', () => {
    const dense = lsq.report.points.find((p) => p.kind === 'dense')!;
    const zero = lsq.report.points.find((p) => p.kind === 'learned' && p.threshold === 0)!;
    expect(Math.abs(zero.perplexity / dense.perplexity - 1)).toBeLessThan(1e-4);
    // ridge router: d·(K−1) MACs per layer over the dense FFN's 3·d·ffn.
    expect(zero.ffn_router_fraction).toBeCloseTo(1 + (128 * 4) / (3 * 128 * 512), 4); // report.json keeps 4 decimals
    const statics = lsq.report.points.filter((p) => p.kind === 'static');
    for (const p of statics) expect(p.ffn_router_fraction).toBe(p.ffn_fraction);
  });

  it('records the method and its extra parameters in the manifest and the plan; the checker accepts the graphs', () => {
    // Σ_k<K (n_k + 1)·d per layer, 4 layers: sizes 64/128/256/384 of 512, d = 128.
    const extra = 4 * (65 + 129 + 257 + 385) * 128;
    expect((lsq.manifest.experts as { adapt: unknown }).adapt).toEqual({
      method: 'lsq',
      ridge: 0.001,
      extra_params: extra,
    });
    expect((bare.manifest.experts as { adapt: unknown }).adapt).toEqual({
      method: 'none',
      ridge: 0.001,
      extra_params: 0,
    });
    const plan = moefy(['plan', recipe('plan', 'lsq')], env);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain(`adapt lsq (ridge 0.001): +${(extra / 1e3).toFixed(0)} k parameters`);
    for (const f of ['model.onnx', 'model_choice.onnx', 'model_oracle.onnx', 'model_fixed.onnx'])
      checkOnnxModel(join(lsq.dir, f));
  });
});

describe('moefy convert with one shared down projection (joint)', () => {
  let joint: ReturnType<typeof convert>;
  beforeAll(() => {
    joint = convert('joint');
  }, 600_000);

  it('adds no parameters and changes only the MoE graphs', () => {
    expect((joint.manifest.experts as { adapt: unknown }).adapt).toEqual({
      method: 'joint',
      ridge: 0.001,
      extra_params: 0,
    });
    expect(joint.report.model.adapted_params).toBe(0);
    const bytes = (f: string) => readFileSync(join(joint.dir, f)).toString('latin1');
    expect(bytes('model.onnx')).toMatch(/down_proj\.weight\.joint\.block\.0/);
    expect(bytes('model.onnx')).not.toMatch(/\.adapted\./);
    expect(bytes('dense.onnx')).not.toMatch(/\.joint\./);
    checkOnnxModel(join(joint.dir, 'model.onnx'));
  });

  it('reports threshold 0 as no longer dense, and moefy eval on the whole graphs agrees layer by layer', () => {
    const pointsOf = (r: Report) =>
      r.points.map((p) => [p.kind, p.threshold, p.expert, p.perplexity] as const);
    const dense = joint.report.points.find((p) => p.kind === 'dense')!;
    const zero = joint.report.points.find((p) => p.kind === 'learned' && p.threshold === 0)!;
    const increase = joint.report.threshold0_ppl_increase!;
    expect(increase).toBeCloseTo(zero.perplexity / dense.perplexity - 1, 4); // report.json rounds perplexities
    expect(Math.abs(increase)).toBeGreaterThan(1e-4);
    console.log(`joint: threshold 0 ${(increase * 100).toFixed(3)} % vs dense`);
    expect(readFileSync(join(joint.dir, 'report.md'), 'utf8')).toContain(
      'Threshold 0 (every token on the full expert) is not the dense model here',
    );
    const layered = pointsOf(joint.report);
    const r = moefy(['eval', joint.dir, '--no-latency', '--quiet'], env);
    expect(r.code, r.stderr).toBe(0);
    const whole = pointsOf(JSON.parse(readFileSync(join(joint.dir, 'report.json'), 'utf8')) as Report);
    expect(whole.map((p) => p.slice(0, 3))).toEqual(layered.map((p) => p.slice(0, 3)));
    layered.forEach((p, i) => expect(Math.abs(p[3] / whole[i]![3] - 1), String(p)).toBeLessThan(1e-4));
  }, 600_000);
});
