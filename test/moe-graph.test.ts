/**
 * The MoE graphs on every golden case, in real ORT sessions: threshold 0 is the dense model (full sequence and
 * KV cache), forced choices give exactly the chosen nested prefixes, the router's choices match the JS reference,
 * the probe's blocks sum to the dense FFN, graphs share one data file, pass the ONNX checker and build
 * deterministically.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routerForward } from '../src/router/forward.js';
import { chooseExpert } from './support/router-reference.js';
import { LOG_ERROR_DELTA } from '../src/router/targets.js';
import { emptyPast, pastFromPresent, tokenFeeds } from '../src/runtime/decoder-feeds.js';
import { createSession, run, type Feeds, type Session } from '../src/runtime/session.js';
import { float32Tensor, int64Tensor, readFloat32, readInt64 } from '../src/runtime/tensors.js';
import { Rng } from '../src/util/random.js';
import { GOLDEN_CASES, maxAbsDiff } from './support/golden.js';
import { buildMoeCase, GRAPHS, type GraphName, type MoeCase } from './support/moe-build.js';
import { loadJsFfn, prefixFfn } from './support/moe-reference.js';
import { checkOnnxModel } from './support/onnx-checker.js';

const TOL = 1e-4;
const root = mkdtempSync(join(tmpdir(), 'moefy-moe-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const threshold = (t: number): Feeds => ({ router_threshold: float32Tensor([t], []) });

describe.each(GOLDEN_CASES)('%s MoE graphs', (name) => {
  let c: MoeCase;
  const sessions = {} as Record<GraphName, Session>;
  beforeAll(async () => {
    c = await buildMoeCase(name, mkdtempSync(join(root, `${name}-`)));
    for (const g of GRAPHS) sessions[g] = await createSession(c.paths[g], { threads: 1 });
  });
  const layers = () => c.ir.config.numLayers;
  const tokens = () => c.ref.ids.length * c.ref.ids[0]!.length;

  it('passes the ONNX checker; every graph after the first reuses the shared data file', () => {
    for (const path of [...Object.values(c.paths), ...c.probes]) checkOnnxModel(path);
    expect(c.bytes.all).toBe(c.bytes.first);
  });

  it('threshold 0 reproduces the dense golden logits with every token at full width', async () => {
    const out = await run(sessions.router, { ...tokenFeeds({ ids: c.ref.ids }), ...threshold(0) });
    const diff = maxAbsDiff(readFloat32(out.logits!), await c.ref.read('logits'));
    expect(diff).toBeLessThanOrEqual(TOL);
    expect(new Set(readInt64(out.expert_index!))).toEqual(new Set([c.sizes.length - 1]));
    expect(out.expert_index!.dims).toEqual([layers(), ...[c.ref.ids.length, c.ref.ids[0]!.length]]);
    console.log(`${name}: MoE threshold 0 max |Δ| logits ${diff.toExponential(2)}`);
  });

  it('threshold 0 decoding token by token with the KV cache reproduces the golden logits', async () => {
    const cfg = c.ir.config;
    const expected = await c.ref.read('logits');
    const [batch, seq, V] = [c.ref.ids.length, c.ref.ids[0]!.length, cfg.vocabSize];
    let past = emptyPast({ layers: cfg.numLayers, kvHeads: cfg.numKvHeads, headDim: cfg.headDim }, batch);
    let worst = 0;
    for (let t = 0; t < seq; t++) {
      const step = tokenFeeds({ ids: c.ref.ids.map((r) => [r[t]!]), past: t });
      const out = await run(sessions.past, { ...step, ...past, ...threshold(0) });
      const logits = readFloat32(out.logits!);
      for (let b = 0; b < batch; b++) {
        const want = expected.subarray((b * seq + t) * V, (b * seq + t + 1) * V);
        worst = Math.max(worst, maxAbsDiff(logits.subarray(b * V, (b + 1) * V), want));
      }
      past = pastFromPresent(out, cfg.numLayers);
    }
    expect(worst).toBeLessThanOrEqual(TOL);
    console.log(`${name}: MoE KV-cache threshold 0 max |Δ| ${worst.toExponential(2)}`);
  });

  it('forced choices give each layer the sum of its chosen prefix blocks', async () => {
    const rng = new Rng(7);
    const n = layers() * tokens();
    const plans = {
      random: Array.from({ length: n }, () => rng.int(c.sizes.length)),
      smallest: new Array<number>(n).fill(0), // blocks ≥ 1 gather no rows at all
      clamped: Array.from({ length: n }, (_, i) => (i % 2 ? 9 : -3)),
    };
    let worst = 0;
    for (const given of Object.values(plans)) {
      worst = Math.max(worst, await checkForcedChoices(c, sessions.input, given));
    }
    expect(worst).toBeLessThanOrEqual(TOL);
    console.log(`${name}: forced choices max |Δ| mlp_output vs JS prefixes ${worst.toExponential(2)}`);
  });

  it('the router graph chooses as routerForward + chooseExpert in JS', async () => {
    const out = await run(sessions.router, { ...tokenFeeds({ ids: c.ref.ids }), ...threshold(c.threshold) });
    const index = readInt64(out.expert_index!);
    expect(new Set(index).size).toBeGreaterThan(1); // a meaningful mix of experts
    const golden0 = await c.ref.read('mlp_input.0');
    expect(maxAbsDiff(readFloat32(out['mlp_input.0']!), golden0)).toBeLessThanOrEqual(TOL);
    let checked = 0;
    for (let l = 0; l < layers(); l++) {
      const x = l === 0 ? golden0 : readFloat32(out[`mlp_input.${l}`]!);
      checked += checkRouterChoices(c, { layer: l, x, got: index.slice(l * tokens(), (l + 1) * tokens()) });
    }
    expect(checked).toBeGreaterThanOrEqual(0.9 * layers() * tokens());
    const counts = c.sizes.map((_, k) => index.filter((v) => v === k).length);
    console.log(
      `${name}: router at ${c.threshold.toFixed(3)} chose experts ${counts.join('/')}, ${checked} checked`,
    );
    const fixed = await run(sessions.fixed, tokenFeeds({ ids: c.ref.ids }));
    expect(maxAbsDiff(readFloat32(fixed.logits!), readFloat32(out.logits!))).toBeLessThanOrEqual(1e-6);
  });

  it('the fixed-threshold graph keeps Optimum’s I/O exactly', () => {
    expect(sessions.fixed.inputNames).toEqual(['input_ids', 'attention_mask', 'position_ids']);
    expect(sessions.fixed.outputNames).toEqual(['logits']);
  });

  it('the probe blocks sum to the dense FFN output; their prefixes are the nested experts', async () => {
    let worst = 0;
    for (let l = 0; l < layers(); l++) {
      const x = await c.ref.read(`mlp_input.${l}`);
      const session = await createSession(c.probes[l]!, { threads: 1 });
      const out = await run(session, { x: float32Tensor(x, [tokens(), c.ir.config.hidden]) });
      const blocks = c.sizes.map((_, j) => readFloat32(out[`block.${j}`]!));
      const js = await loadJsFfn(c.ir.layers[l]!, c.ir.config.hidden);
      const prefix = new Float32Array(x.length);
      blocks.forEach((block, k) => {
        block.forEach((v, i) => (prefix[i] = prefix[i]! + v));
        const want = prefixFfn(js, x, c.experts[l]!.permutation, new Array(tokens()).fill(c.sizes[k]));
        worst = Math.max(worst, maxAbsDiff(prefix, want));
      });
      worst = Math.max(worst, maxAbsDiff(prefix, await c.ref.read(`mlp_output.${l}`)));
    }
    expect(worst).toBeLessThanOrEqual(TOL);
    console.log(`${name}: probe block sums max |Δ| ${worst.toExponential(2)}`);
  });

  it('a second build writes byte-identical graphs and data', async () => {
    const again = await buildMoeCase(name, mkdtempSync(join(root, `${name}-again-`)));
    const files = readdirSync(join(c.dataPath, '..'));
    expect(readdirSync(join(again.dataPath, '..'))).toEqual(files);
    for (const f of files) {
      const [a, b] = [join(c.dataPath, '..', f), join(again.dataPath, '..', f)];
      expect(readFileSync(a).equals(readFileSync(b)), f).toBe(true);
    }
  });
});

/** Runs the input-choice graph with `given` [L, B, T]; returns the worst |Δ| of mlp_output.{l} vs JS. */
async function checkForcedChoices(c: MoeCase, session: Session, given: number[]): Promise<number> {
  const [B, T] = [c.ref.ids.length, c.ref.ids[0]!.length];
  const L = c.ir.config.numLayers;
  const feeds = { ...tokenFeeds({ ids: c.ref.ids }), expert_choice: int64Tensor(given, [L, B, T]) };
  const out = await run(session, feeds);
  const clamped = given.map((k) => Math.min(Math.max(k, 0), c.sizes.length - 1));
  expect(readInt64(out.expert_index!)).toEqual(clamped);
  expect(maxAbsDiff(readFloat32(out['mlp_input.0']!), await c.ref.read('mlp_input.0'))).toBeLessThanOrEqual(
    TOL,
  );
  let worst = 0;
  for (let l = 0; l < L; l++) {
    // Upstream layers ran narrower experts, so layer l's input is the graph's own, not the golden one.
    const x = readFloat32(out[`mlp_input.${l}`]!);
    const widths = clamped.slice(l * B * T, (l + 1) * B * T).map((k) => c.sizes[k]!);
    const js = await loadJsFfn(c.ir.layers[l]!, c.ir.config.hidden);
    const want = prefixFfn(js, x, c.experts[l]!.permutation, widths);
    worst = Math.max(worst, maxAbsDiff(readFloat32(out[`mlp_output.${l}`]!), want));
  }
  return worst;
}

/**
 * Compares one layer's graph choices with the JS router on rows x; tokens whose predicted error lies within
 * 1e-4 of the threshold are skipped (float32 graph vs float64 JS may round them either way). Returns tokens checked.
 */
function checkRouterChoices(c: MoeCase, a: { layer: number; x: Float32Array; got: number[] }): number {
  const e = c.experts[a.layer]!;
  const rows = a.got.length;
  const z = routerForward(e.router!, a.x, rows);
  const outputs = c.sizes.length - 1;
  const limit = c.threshold * (e.thresholdScale ?? 1);
  let checked = 0;
  for (let r = 0; r < rows; r++) {
    const zr = z.subarray(r * outputs, (r + 1) * outputs);
    const margin = Math.min(...Array.from(zr, (v) => Math.abs(Math.exp(v) - LOG_ERROR_DELTA - limit)));
    if (margin < 1e-4) continue;
    expect(a.got[r], `layer ${a.layer} token ${r}`).toBe(chooseExpert(zr, limit));
    checked++;
  }
  return checked;
}
