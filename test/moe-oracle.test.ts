/**
 * The oracle-routed MoE graph in a real ORT session: its choices are `oracleChoice` on the true relative errors
 * computed in plain JS from the layer's own FFN input, its FFN outputs are the chosen prefixes, and threshold 0 is
 * the dense model.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelIR } from '../src/families/load.js';
import { buildMoeDecoder } from '../src/graph/moe-decoder.js';
import type { LayerExperts } from '../src/graph/moe-spec.js';
import { expertSizes } from '../src/ir/flops.js';
import type { ModelIR } from '../src/ir/model.js';
import { ExternalDataWriter, writeModel } from '../src/onnx/builder.js';
import type { ErrorTable } from '../src/router/targets.js';
import { oracleChoice, relativeErrors } from './support/router-reference.js';
import { tokenFeeds } from '../src/runtime/decoder-feeds.js';
import { createSession, run, type Session } from '../src/runtime/session.js';
import { float32Tensor, readFloat32, readInt64 } from '../src/runtime/tensors.js';
import { fixtureDir, maxAbsDiff, openReference, type Reference } from './support/golden.js';
import { caseExperts } from './support/moe-build.js';
import { loadJsFfn, prefixFfn } from './support/moe-reference.js';

const TOL = 1e-4;
const root = mkdtempSync(join(tmpdir(), 'moefy-oracle-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.each(['llama-gqa', 'gpt2'])('%s oracle MoE graph', (name) => {
  let ir: ModelIR;
  let ref: Reference;
  let sizes: number[];
  let experts: LayerExperts[];
  let session: Session;
  beforeAll(async () => {
    ir = await loadModelIR(fixtureDir(name));
    ref = await openReference(fixtureDir(name));
    sizes = expertSizes(ir.config.ffnDim, [0.25, 0.5, 1], 8);
    // No router: the oracle needs none. Layer 1 scales its threshold, as the router graph's layers may.
    experts = caseExperts(ir, sizes).map(({ permutation }, i) => ({
      permutation,
      ...(i === 1 && { thresholdScale: 1.5 }),
    }));
    const data = new ExternalDataWriter(join(root, `${name}.onnx.data`));
    // Errors relative to ‖y‖, as relativeErrors computes them (the residual base is the emitted default).
    const b = await buildMoeDecoder(ir, {
      ...{ choice: 'oracle', errorBase: 'output', experts, sizes, data, debugOutputs: true },
    });
    writeModel(b.model(), join(root, `${name}.onnx`));
    data.close();
    session = await createSession(join(root, `${name}.onnx`), { threads: 1 });
  });
  const tokens = () => ref.ids.length * ref.ids[0]!.length;
  const oracle = (t: number) =>
    run(session, { ...tokenFeeds({ ids: ref.ids }), router_threshold: float32Tensor([t], []) });

  it('takes router_threshold and returns expert_index', () => {
    expect(session.inputNames).toContain('router_threshold');
    expect(session.outputNames).toContain('expert_index');
  });

  it('threshold 0 is the dense model: golden logits, every token at full width', async () => {
    const out = await oracle(0);
    expect(maxAbsDiff(readFloat32(out.logits!), await ref.read('logits'))).toBeLessThanOrEqual(TOL);
    expect(new Set(readInt64(out.expert_index!))).toEqual(new Set([sizes.length - 1]));
  });

  it('chooses as oracleChoice on the JS errors of each layer, and outputs the chosen prefix', async () => {
    const x0 = await ref.read('mlp_input.0');
    const threshold = medianError(await layerErrors(0, x0), 0);
    const out = await oracle(threshold);
    const index = readInt64(out.expert_index!);
    expect(new Set(index.slice(0, tokens())).size).toBeGreaterThan(1); // a real mix at layer 0
    expect(maxAbsDiff(readFloat32(out['mlp_input.0']!), x0)).toBeLessThanOrEqual(TOL);
    let checked = 0;
    for (let l = 0; l < ir.config.numLayers; l++) {
      // Upstream layers ran their chosen experts: layer l's input is the graph's own (layer 0: the golden rows).
      const x = l === 0 ? x0 : readFloat32(out[`mlp_input.${l}`]!);
      const got = index.slice(l * tokens(), (l + 1) * tokens());
      const limit = Math.fround(threshold * (experts[l]!.thresholdScale ?? 1));
      checked += checkChoices(await layerErrors(l, x), { got, limit });
      const js = await loadJsFfn(ir.layers[l]!, ir.config.hidden);
      const want = prefixFfn(
        js,
        x,
        experts[l]!.permutation,
        got.map((k) => sizes[k]!),
      );
      expect(maxAbsDiff(readFloat32(out[`mlp_output.${l}`]!), want)).toBeLessThanOrEqual(TOL);
    }
    expect(checked).toBeGreaterThanOrEqual(0.9 * ir.config.numLayers * tokens());
  });

  /** e_k for rows x at layer l: every prefix's output in float64 JS, then relativeErrors. */
  async function layerErrors(l: number, x: Float32Array): Promise<ErrorTable> {
    const js = await loadJsFfn(ir.layers[l]!, ir.config.hidden);
    const prefixes = sizes.map((n) => prefixFfn(js, x, experts[l]!.permutation, new Array(tokens()).fill(n)));
    return relativeErrors({ y: prefixes.at(-1)!, prefixes, rows: tokens(), hidden: ir.config.hidden });
  }
});

/** Median of e_k over the rows, as float32 (the graph's threshold type). */
function medianError(e: ErrorTable, k: number): number {
  const v = Array.from({ length: e.rows }, (_, r) => e.data[r * e.experts + k]!).sort((a, b) => a - b);
  return Math.fround((v[Math.floor(e.rows / 2) - 1]! + v[Math.floor(e.rows / 2)]!) / 2);
}

/** Expects graph choices = oracleChoice; rows with an e_k within 1e-4 of the limit may round either way. */
function checkChoices(e: ErrorTable, a: { got: number[]; limit: number }): number {
  let checked = 0;
  for (let r = 0; r < e.rows; r++) {
    const row = e.data.subarray(r * e.experts, (r + 1) * e.experts);
    if (Array.from(row.subarray(0, -1), (v) => Math.abs(v - a.limit)).some((d) => d < 1e-4)) continue;
    expect(a.got[r], `token ${r}`).toBe(oracleChoice(row, a.limit));
    checked++;
  }
  return checked;
}
