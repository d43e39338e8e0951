/**
 * The trade-off report of a real kjv-llama conversion (`moefy convert` ends with the evaluation): every baseline
 * is there, dense perplexity matches a plain reference computed here from the dense graph's logits, threshold 0
 * and full static width equal dense, learned compute falls with the threshold, the oracle is no worse than the
 * learned router at equal compute, report.json passes its schema and the charts exist. `moefy eval` rebuilds it.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTokenizer } from '../src/data/tokenizer.js';
import { collectWindows, streamWindows } from '../src/data/windows.js';
import { parseReport } from '../src/report/parse.js';
import type { Point, Report } from '../src/report/types.js';
import { emptyPast, tokenFeeds } from '../src/runtime/decoder-feeds.js';
import { createSession, releaseSession, run } from '../src/runtime/session.js';
import { readFloat32 } from '../src/runtime/tensors.js';
import { fixtureDir } from './support/golden.js';
import { convertKjv, kjvRecipe, moefy } from './support/kjv-convert.js';

const THRESHOLDS = [0, 0.05, 0.075, 0.2, 0.5]; // SMALL_EVAL's (0.075: the default fixed graphs')
const root = mkdtempSync(join(tmpdir(), 'moefy-eval-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the kjv-llama report', () => {
  let out: string;
  let report: Report;
  const of = (kind: Point['kind']) => report.points.filter((p) => p.kind === kind);
  const dense = () => of('dense')[0]!;
  beforeAll(() => {
    out = convertKjv(root, '', 'recipe default'); // the one kjv conversion in the tests with default output.dtypes
    report = parseReport(readFileSync(join(out, 'report.json'), 'utf8'), 'report.json');
  });

  it('has every baseline: dense, each static width, learned and oracle at each threshold', () => {
    expect(of('dense')).toHaveLength(1);
    expect(of('static').map((p) => p.expert)).toEqual([0, 1, 2, 3, 4]);
    expect(of('learned').map((p) => p.threshold)).toEqual(THRESHOLDS);
    expect(of('oracle').map((p) => p.threshold)).toEqual(THRESHOLDS);
    expect(dense().latency).not.toBeNull();
    expect(of('learned').every((p) => p.latency !== null)).toBe(true);
  });

  it('dense perplexity equals a plain log-softmax over the dense graph’s logits', async () => {
    const windows = await collectWindows(
      streamWindows({
        file: `${fixtureDir('kjv-llama')}/eval.txt`,
        tokenizer: loadTokenizer(out),
        seqLen: report.eval.seq_len,
        maxTokens: report.eval.tokens,
      }),
      report.eval.seq_len,
    );
    const ids = Array.from({ length: windows.count }, (_, w) =>
      Array.from(windows.ids.subarray(w * windows.seqLen, (w + 1) * windows.seqLen)),
    );
    const session = await createSession(join(out, 'dense.onnx'));
    const kv = { layers: 4, kvHeads: 4, headDim: 32 };
    const o = await run(session, { ...tokenFeeds({ ids }), ...emptyPast(kv, ids.length) }, ['logits']);
    await releaseSession(session);
    const logits = readFloat32(o.logits!);
    const V = 256;
    let nll = 0;
    let n = 0;
    ids.forEach((row, b) =>
      row.slice(0, -1).forEach((_, t) => {
        const at = (b * row.length + t) * V;
        const z = Array.from(logits.subarray(at, at + V));
        const logSum = Math.log(z.reduce((s, v) => s + Math.exp(v), 0));
        nll += logSum - z[row[t + 1]!]!;
        n++;
      }),
    );
    // report.json keeps 6 significant digits
    expect(Math.abs(dense().perplexity / Math.exp(nll / n) - 1)).toBeLessThan(1e-5);
    expect(dense().ffn_fraction).toBe(1);
    expect(dense().flops_fraction).toBe(1);
  });

  it('learned and oracle at threshold 0, and the full static width, equal dense within 1e-4', () => {
    const full = of('static').at(-1)!;
    for (const p of [of('learned')[0]!, of('oracle')[0]!, full]) {
      expect(Math.abs(p.perplexity / dense().perplexity - 1), p.kind).toBeLessThan(1e-4);
      expect(p.ffn_fraction).toBe(1);
    }
  });

  it('learned FFN fraction falls monotonically with the threshold, to below 60%', () => {
    const f = of('learned').map((p) => p.ffn_fraction);
    f.slice(1).forEach((v, i) => expect(v).toBeLessThanOrEqual(f[i]!));
    expect(f.at(-1)!).toBeLessThan(0.6);
  });

  /**
   * Equal threshold is not equal compute, and interpolating the oracle between its sparse points overstates its
   * perplexity (the curve is convex: a chord lies above it). So the comparison pairs learned and oracle at each
   * threshold where their FFN fractions nearly coincide (|Δ| ≤ 2.5 points): there the oracle, choosing from the
   * true errors, must not be worse beyond noise (0.5%).
   */
  it('the oracle is no worse than the learned router at (nearly) equal FFN fraction', () => {
    let compared = 0;
    for (const [i, learned] of of('learned').entries()) {
      const oracle = of('oracle')[i]!;
      if (Math.abs(oracle.ffn_fraction - learned.ffn_fraction) > 0.025) continue;
      expect(oracle.perplexity, `threshold ${learned.threshold}`).toBeLessThanOrEqual(
        learned.perplexity * 1.005,
      );
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(3);
  });

  it('measures each other precision of output.dtypes (default q4) on the same tokens', () => {
    expect(report.precisions?.map((s) => s.dtype)).toEqual(['q4']);
    const q4 = report.precisions![0]!.points;
    const q4Dense = q4.find((p) => p.kind === 'dense')!;
    expect(q4.filter((p) => p.kind === 'learned').map((p) => p.threshold)).toEqual(THRESHOLDS);
    // The targets: 4-bit costs ≤ 3% perplexity; routing at threshold 0 holds the very same weights.
    expect(q4Dense.perplexity / dense().perplexity).toBeLessThan(1.03);
    expect(q4Dense.perplexity).not.toBe(dense().perplexity);
    const zero = q4.find((p) => p.kind === 'learned' && p.threshold === 0)!;
    expect(Math.abs(zero.perplexity / q4Dense.perplexity - 1)).toBeLessThan(1e-4);
    expect(q4.every((p) => p.latency !== null)).toBe(true);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/## Precisions\n[^]*\| q4 \| dense \|/);
  });

  it('writes report.md and the charts; the SVG names every series', () => {
    for (const f of ['report.md', 'curve.svg', 'curve.png'])
      expect(statSync(join(out, f)).size).toBeGreaterThan(0);
    const svg = readFileSync(join(out, 'curve.svg'), 'utf8');
    for (const series of ['learned routing', 'static slice', 'oracle routing', 'dense'])
      expect(svg).toContain(series);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('Oracle routing');
  });

  it('recommends a threshold and states the fixed graphs’ one; convert prints both', () => {
    expect(report.fixed_threshold).toBe(0.075);
    expect(report.recommended).not.toBeNull();
    expect(report.timing).toMatchObject({ reference: 'dense', repeats: 2, prompt_tokens: 32 });
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toMatch(/^\*\*Recommended: (threshold [\d.]+\*\* \(learned routing\)|the dense model\.\*\*)/m);
    expect(md).toContain('have threshold 0.075 baked in (`output.fixed_threshold`)');
    // Two repeats are too few for a 99% interval: nothing is called faster or slower.
    const timed = report.points.flatMap((p) =>
      p.latency?.prefill_speedup ? [p.latency.prefill_speedup] : [],
    );
    expect(timed.length).toBeGreaterThan(0);
    expect(timed.every((s) => s.verdict === 'no-difference' && s.confidence < 0.99)).toBe(true);
  });

  it('moefy inspect describes the output directory, and the fixed graph names its baked threshold', () => {
    const dir = moefy(['inspect', out]);
    expect(dir.code, dir.stderr).toBe(0);
    expect(dir.stdout).toMatch(/^experts +64 \/ 128 \/ 256 \/ 384 \/ 512 neurons/m);
    expect(dir.stdout).toMatch(/^router +ridge \(linear, closed form\)$/m);
    expect(dir.stdout).toMatch(/^fixed graphs +threshold 0\.075 baked in$/m);
    expect(dir.stdout).toMatch(/model_fixed\.onnx .*: MoE with threshold 0\.075 baked in/);
    expect(dir.stdout).toMatch(/^report +\d+ points; recommends /m);
    const fixed = moefy(['inspect', join(out, 'onnx/model.onnx')]);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.stdout).toMatch(/^routing +threshold 0\.075 baked in /m);
    expect(moefy(['inspect', join(out, 'model.onnx')]).stdout).not.toMatch(/^routing /m);
  });

  it('a rerun with only output.fixed_threshold changed takes the measurements from the cache', () => {
    const recipe = kjvRecipe(root, 'output: { fixed_threshold: 0.2 }', 'fixed.yaml', 'recipe default');
    const r = moefy(['convert', fixtureDir('kjv-llama'), '--recipe', recipe, '--out', out, '--force'], {
      MOEFY_CACHE_DIR: join(root, 'cache'),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('[eval] measurements from cache (same graph bytes and eval settings)');
    expect(r.stderr).toMatch(/\[calibrate\] done in [\d.]+s: from cache/);
    const again = parseReport(readFileSync(join(out, 'report.json'), 'utf8'), 'report.json');
    expect(again.points).toEqual(report.points); // latencies included: nothing was re-measured
    expect(again.fixed_threshold).toBe(0.2);
    expect(r.stdout).toMatch(/^fixed graphs \(model_fixed\.onnx, onnx\/model\.onnx\): threshold 0\.2/m);
  });

  it('moefy eval rebuilds the report with other thresholds (plus the fixed graph’s) and prints one line each', () => {
    const r = moefy(['eval', out, '--thresholds', '0.3,0', '--tokens', '640', '--no-latency', '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const thresholdLines = lines.filter((l) => l.startsWith('threshold '));
    expect(thresholdLines).toHaveLength(3);
    // FFN + router compute first: the ridge router's 4·128 MACs per layer over the dense FFN's 3·128·512.
    expect(thresholdLines[0]).toMatch(
      /^threshold 0 +FFN\+router 100\.3% +FFN 100\.0% +FLOPs +[\d.]+% +ppl [\d.]+ \(\+?-?0\.00% vs dense\) +prefill —$/,
    );
    expect(lines.filter((l) => /^(recommended|fixed graphs)/.test(l))).toHaveLength(2);
    const q4 = lines.filter((l) => l.startsWith('q4: '));
    expect(q4).toHaveLength(1);
    // The same thresholds as the fp32 lines, the fixed graph's 0.2 included, each at its FFN+router compute.
    expect(q4[0]).toMatch(
      /^q4: dense ppl [\d.]+ \(\+[\d.]+% vs fp32 dense\); threshold 0 [-+]0\.00% at 100\.3%, 0\.2 [-+][\d.]+% at [\d.]+%, 0\.3 [-+][\d.]+% at [\d.]+% FFN\+router vs q4 dense$/,
    );
    const again = parseReport(readFileSync(join(out, 'report.json'), 'utf8'), 'report.json');
    expect(again.points.filter((p) => p.kind === 'learned').map((p) => p.threshold)).toEqual([0, 0.2, 0.3]);
    expect(again.eval.tokens).toBe(640);
    expect(again.points.every((p) => p.latency === null)).toBe(true);
    expect(again.timing).toBeNull();
  });

  it('moefy eval rejects bad flags and directories with exit 2 and the reason', () => {
    const bad = moefy(['eval', out, '--thresholds', '0.1,x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('moefy: --thresholds: expected comma-separated numbers ≥ 0, got "0.1,x"\n');
    const missing = moefy(['eval', join(root, 'nowhere')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`moefy: ${join(root, 'nowhere')}: output directory not found\n`);
  });
});
