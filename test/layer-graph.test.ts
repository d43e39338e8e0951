/**
 * The part graphs (embedding, one decoder layer, head), run one after another in ORT, compute what the whole decoder
 * graph computes on every golden case: hidden states after each part, logits, and — with a KV cache, token by
 * token — the present keys/values (≤ 1e-5). They pass the ONNX checker and share one data file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModelIR } from '../src/families/load.js';
import type { DecoderOptions } from '../src/graph/decoder.js';
import { DEBUG, HIDDEN_IN, HIDDEN_OUT, LAYER_DEBUG } from '../src/graph/names.js';
import { buildEmbedGraph, buildHeadGraph, buildLayerGraph } from '../src/graph/layer-graph.js';
import { writeDecoder } from '../src/graph/write-decoder.js';
import type { ModelIR } from '../src/ir/model.js';
import { ELEM, ExternalDataWriter, type GraphBuilder, writeModel } from '../src/onnx/builder.js';
import { emptyPast, pastFromPresent, tokenFeeds } from '../src/runtime/decoder-feeds.js';
import { createSession, type Feeds, run, type Session, type Tensor } from '../src/runtime/session.js';
import { float32Tensor, readFloat32, readInt64 } from '../src/runtime/tensors.js';
import { moeFfn } from '../src/graph/moe-ffn.js';
import { expertSizes } from '../src/ir/flops.js';
import { caseExperts } from './support/moe-build.js';
import { fixtureDir, GOLDEN_CASES, maxAbsDiff, openReference } from './support/golden.js';
import { checkOnnxModel } from './support/onnx-checker.js';

const TOL = 1e-5;
const root = mkdtempSync(join(tmpdir(), 'moefy-parts-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Parts {
  embed: Session;
  layers: Session[];
  head: Session;
}

async function buildParts(ir: ModelIR, dir: string, withPast: boolean, check = false): Promise<Parts> {
  const data = new ExternalDataWriter(join(dir, 'parts.onnx.data'));
  const save = async (name: string, b: Promise<GraphBuilder>) => {
    const path = join(dir, `${name}.onnx`);
    writeModel((await b).model(), path);
    return path;
  };
  const paths = {
    embed: await save('embed', buildEmbedGraph(ir, { data })),
    layers: [] as string[],
    head: '',
  };
  for (const layer of ir.layers) {
    paths.layers.push(
      await save(`layer.${layer.index}`, buildLayerGraph(ir, layer.index, { data, withPast })),
    );
  }
  paths.head = await save('head', buildHeadGraph(ir, { data }));
  data.close();
  if (check) for (const p of [paths.embed, ...paths.layers, paths.head]) checkOnnxModel(p);
  const open = (p: string) => createSession(p, { threads: 1 });
  return {
    embed: await open(paths.embed),
    layers: await Promise.all(paths.layers.map(open)),
    head: await open(paths.head),
  };
}

async function whole(
  ir: ModelIR,
  dir: string,
  opts: Omit<DecoderOptions, 'data'> & { fileName?: string },
): Promise<Session> {
  const graph = await writeDecoder(ir, { dir, ...opts });
  return createSession(graph.modelPath, { threads: 1 });
}

/** Only the feeds a part declares (ORT refuses unknown feed names). */
function pick(session: Session, feeds: Feeds): Feeds {
  return Object.fromEntries(session.inputNames.map((n) => [n, feeds[n]!]));
}

/** Runs the parts in order; returns every part's output keyed as the whole graph names them. */
async function runParts(parts: Parts, feeds: Feeds): Promise<Record<string, Tensor>> {
  const out: Record<string, Tensor> = {};
  let hidden = (await run(parts.embed, pick(parts.embed, feeds)))[HIDDEN_OUT]!;
  out['hidden_states.0'] = hidden;
  for (const [i, layer] of parts.layers.entries()) {
    const r = await run(layer, pick(layer, { ...feeds, [HIDDEN_IN]: hidden }));
    hidden = r[HIDDEN_OUT]!;
    out[`layer_output.${i}`] = hidden;
    for (const [name, t] of Object.entries(r)) if (name.startsWith('present.')) out[name] = t;
  }
  const head = await run(parts.head, { [HIDDEN_IN]: hidden });
  out.logits = head.logits!;
  return out;
}

function worstDiff(a: Record<string, Tensor>, b: Record<string, Tensor>, names: string[]): number {
  return Math.max(...names.map((n) => maxAbsDiff(readFloat32(a[n]!), readFloat32(b[n]!))));
}

describe.each([...GOLDEN_CASES, 'kjv-llama'])('%s in parts', (name) => {
  it('embedding → each layer → head equals the whole graph (≤ 1e-5); the checker accepts each part', async () => {
    const ir = await loadModelIR(fixtureDir(name));
    const ref = await openReference(fixtureDir(name));
    const dir = mkdtempSync(join(root, `${name}-`));
    const parts = await buildParts(ir, dir, false, true);
    const feeds = tokenFeeds({ ids: ref.ids });
    const expected = await run(await whole(ir, dir, { debugOutputs: true }), feeds);
    const got = await runParts(parts, feeds);
    const names = ['hidden_states.0', ...ir.layers.map((l) => `layer_output.${l.index}`), 'logits'];
    const worst = worstDiff(got, expected, names);
    expect(worst).toBeLessThanOrEqual(TOL);
    console.log(`${name}: parts vs whole graph max |Δ| ${worst.toExponential(2)}`);
  });
});

// The cache variant on the cases whose attention differs most: learned positions, GQA + partial rotary, sliding
// windows on every layer, local/global RoPE with MQA and q/k norms.
describe.each(['gpt2', 'phi4-mini-partial', 'mistral-swa', 'gemma3-text'])(
  '%s in parts with a KV cache',
  (name) => {
    it('token by token, gives the whole graph’s logits and cache (≤ 1e-5)', async () => {
      const ir = await loadModelIR(fixtureDir(name));
      const ref = await openReference(fixtureDir(name));
      const dir = mkdtempSync(join(root, `${name}-past-`));
      const parts = await buildParts(ir, dir, true);
      const session = await whole(ir, dir, { withPast: true, fileName: 'whole.onnx' });
      const c = ir.config;
      const cache = { layers: c.numLayers, kvHeads: c.numKvHeads, headDim: c.headDim };
      let [pastWhole, pastParts] = [emptyPast(cache, 2), emptyPast(cache, 2)];
      let worst = 0;
      for (let t = 0; t < ref.ids[0]!.length; t++) {
        const step = tokenFeeds({ ids: ref.ids.map((r) => [r[t]!]), past: t });
        const a = await run(session, { ...step, ...pastWhole });
        const b = await runParts(parts, { ...step, ...pastParts });
        const presents = ir.layers.flatMap((l) => [`present.${l.index}.key`, `present.${l.index}.value`]);
        worst = Math.max(worst, worstDiff(b, a, ['logits', ...presents]));
        [pastWhole, pastParts] = [pastFromPresent(a, c.numLayers), pastFromPresent(b, c.numLayers)];
      }
      expect(worst).toBeLessThanOrEqual(TOL);
    });
  },
);

// The FFN plugs in as in the whole graph: a one-layer MoE graph at threshold 0 is the dense layer, here on Phi-3,
// whose fused gate_up is split into the halves the experts permute.
describe('phi3 MoE layer graph', () => {
  it('at threshold 0 gives the dense layer’s output (≤ 1e-5) and an expert index per token', async () => {
    const ir = await loadModelIR(fixtureDir('phi3'));
    const ref = await openReference(fixtureDir('phi3'));
    const sizes = expertSizes(ir.config.ffnDim, [0.25, 0.5, 1], 8);
    const experts = caseExperts(ir, sizes);
    const choices: string[] = [];
    const ffn = moeFfn({
      sizes,
      layers: experts,
      choice: { kind: 'router' },
      onChoice: (_, c) => choices.push(c),
    });
    const dir = mkdtempSync(join(root, 'phi3-moe-'));
    const moe = await buildLayerGraph(ir, 1, { ffn });
    moe.output('expert_index', choices[0]!, ELEM.int64, ['batch_size', 'sequence_length']);
    writeModel(moe.model(), join(dir, 'moe.onnx'));
    writeModel((await buildLayerGraph(ir, 1)).model(), join(dir, 'dense.onnx'));
    checkOnnxModel(join(dir, 'moe.onnx'));
    const feeds = {
      ...tokenFeeds({ ids: ref.ids }),
      [HIDDEN_IN]: float32Tensor(await ref.read('hidden_states.1'), [2, 12, ir.config.hidden]),
    };
    const open = (f: string) => createSession(join(dir, f), { threads: 1 });
    const [dense, routed] = [await open('dense.onnx'), await open('moe.onnx')];
    const a = await run(dense, pick(dense, feeds));
    const b = await run(routed, { ...pick(routed, feeds), router_threshold: float32Tensor([0], []) });
    expect(maxAbsDiff(readFloat32(b[HIDDEN_OUT]!), readFloat32(a[HIDDEN_OUT]!))).toBeLessThanOrEqual(TOL);
    expect(new Set(readInt64(b.expert_index!))).toEqual(new Set([2]));
  });
});

// The router's log‖r‖ input reads ‖r‖ from the layer part's `ffn_residual` (calibration): it must be the stream
// the FFN's output is added to, i.e. layer_output − mlp_output of the whole graph.
// Gemma 2/3 add the FFN output after a post norm, so the difference of the debug outputs is not r there.
const NO_POST_FFN_NORM = GOLDEN_CASES.filter((c) => !c.startsWith('gemma'));

describe.each(NO_POST_FFN_NORM)('%s layer part debug outputs', (name) => {
  it('ffn_residual is the residual stream the FFN output is added to (≤ 1e-5)', async () => {
    const ir = await loadModelIR(fixtureDir(name));
    expect(ir.layers.some((l) => l.postFfnNorm)).toBe(false);
    const ref = await openReference(fixtureDir(name));
    const dir = mkdtempSync(join(root, `${name}-residual-`));
    const feeds = tokenFeeds({ ids: ref.ids });
    const expected = await run(await whole(ir, dir, { debugOutputs: true }), feeds);
    let worst = 0;
    for (const layer of ir.layers) {
      const path = join(dir, `layer.${layer.index}.onnx`);
      const data = new ExternalDataWriter(`${path}.data`);
      writeModel((await buildLayerGraph(ir, layer.index, { data, debugOutputs: true })).model(), path);
      data.close();
      const session = await createSession(path, { threads: 1 });
      const hidden = expected[DEBUG.hiddenStates(layer.index)]!;
      const out = await run(session, pick(session, { ...feeds, [HIDDEN_IN]: hidden }));
      const got = readFloat32(out[LAYER_DEBUG.ffnResidual]!);
      const out1 = readFloat32(expected[DEBUG.layerOutput(layer.index)]!);
      const y = readFloat32(expected[DEBUG.mlpOutput(layer.index)]!);
      worst = Math.max(
        worst,
        maxAbsDiff(
          got,
          out1.map((v, i) => v - y[i]!),
        ),
      );
    }
    expect(worst).toBeLessThanOrEqual(TOL);
  });
});
