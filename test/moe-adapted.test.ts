/**
 * MoE graphs with adapted experts (`experts.adapt: lsq`) in real ORT sessions, on a gated (llama) and a plain,
 * biased (gpt2) golden case: threshold 0 is still the dense model, forced choices give each smaller expert its own
 * down projection and bias (vs plain JS), the probe's prefix sums are the adapted outputs (what the targets stage
 * reads), the oracle graph routes on them, the ONNX checker accepts every graph, builds are byte-identical; and a
 * spec whose adapted weights do not fit the sizes is refused by class and message.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AdaptedExpert } from '../src/experts/adapt-lsq.js';
import { loadModelIR } from '../src/families/load.js';
import { buildMoeDecoder, type ChoiceKind } from '../src/graph/moe-decoder.js';
import type { LayerExperts } from '../src/graph/moe-spec.js';
import { buildProbe } from '../src/graph/probe.js';
import { expertSizes } from '../src/ir/flops.js';
import type { ModelIR } from '../src/ir/model.js';
import { ExternalDataWriter, writeModel } from '../src/onnx/builder.js';
import { tokenFeeds } from '../src/runtime/decoder-feeds.js';
import { createSession, run } from '../src/runtime/session.js';
import { float32Tensor, int64Tensor, readFloat32, readInt64 } from '../src/runtime/tensors.js';
import { InputError } from '../src/util/errors.js';
import { Rng } from '../src/util/random.js';
import { fixtureDir, maxAbsDiff, openReference, type Reference } from './support/golden.js';
import { adaptedExperts, caseExperts } from './support/moe-build.js';
import { adaptedFfn, loadJsFfn, prefixFfn } from './support/moe-reference.js';
import { checkOnnxModel } from './support/onnx-checker.js';

const TOL = 1e-4;
const root = mkdtempSync(join(tmpdir(), 'moefy-adapted-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface AdaptedCase {
  ir: ModelIR;
  ref: Reference;
  sizes: number[];
  experts: LayerExperts[];
  paths: Record<'router' | 'input' | 'oracle', string>;
  probes: string[];
  dir: string;
}

async function buildCase(name: string, dir: string): Promise<AdaptedCase> {
  const ir = await loadModelIR(fixtureDir(name));
  const ref = await openReference(fixtureDir(name));
  const sizes = expertSizes(ir.config.ffnDim, [0.25, 0.5, 1], 8);
  const experts = caseExperts(ir, sizes).map((e, i) => ({
    ...e,
    adapted: adaptedExperts(ir, sizes, 40 + i),
  }));
  const data = new ExternalDataWriter(join(dir, 'moe.onnx.data'));
  const paths = {} as AdaptedCase['paths'];
  const choices: Record<keyof AdaptedCase['paths'], ChoiceKind> = {
    router: 'router',
    input: 'input',
    oracle: 'oracle',
  };
  for (const [g, choice] of Object.entries(choices) as [keyof AdaptedCase['paths'], ChoiceKind][]) {
    const b = await buildMoeDecoder(ir, { choice, experts, sizes, data, debugOutputs: true });
    paths[g] = join(dir, `${g}.onnx`);
    writeModel(b.model(), paths[g]);
  }
  const probes = [];
  for (const [layer, e] of experts.entries()) {
    const b = await buildProbe(ir, { layer, permutation: e.permutation, sizes, data, adapted: e.adapted! });
    probes.push(join(dir, `probe.${layer}.onnx`));
    writeModel(b.model(), probes[layer]!);
  }
  data.close();
  return { ir, ref, sizes, experts, paths, probes, dir };
}

/** Expert k's output per row in JS: adapted for k < K−1, the dense prefix for the full expert. */
async function jsExpert(
  c: AdaptedCase,
  a: { layer: number; x: Float32Array; k: number },
): Promise<Float32Array> {
  const js = await loadJsFfn(c.ir.layers[a.layer]!, c.ir.config.hidden);
  const e = c.experts[a.layer]!;
  const rows = a.x.length / c.ir.config.hidden;
  if (a.k === c.sizes.length - 1)
    return prefixFfn(js, a.x, e.permutation, new Array(rows).fill(c.sizes[a.k]));
  const { down, bias } = e.adapted![a.k]!;
  return adaptedFfn(js, a.x, { perm: e.permutation, width: c.sizes[a.k]!, down, bias });
}

describe.each(['llama-gqa', 'gpt2'])('%s with adapted experts', (name) => {
  let c: AdaptedCase;
  const tokens = () => c.ref.ids.length * c.ref.ids[0]!.length;

  it('builds graphs the ONNX checker accepts, byte-identical on a second build', async () => {
    c = await buildCase(name, mkdtempSync(join(root, `${name}-`)));
    const again = await buildCase(name, mkdtempSync(join(root, `${name}-again-`)));
    for (const path of [...Object.values(c.paths), ...c.probes]) checkOnnxModel(path);
    for (const f of ['router.onnx', 'input.onnx', 'oracle.onnx', 'moe.onnx.data', 'probe.0.onnx']) {
      expect(readFileSync(join(c.dir, f)).equals(readFileSync(join(again.dir, f))), f).toBe(true);
    }
  });

  it('threshold 0 reproduces the dense golden logits (router and oracle graphs)', async () => {
    for (const g of ['router', 'oracle'] as const) {
      const session = await createSession(c.paths[g], { threads: 1 });
      const out = await run(session, {
        ...tokenFeeds({ ids: c.ref.ids }),
        router_threshold: float32Tensor([0], []),
      });
      const diff = maxAbsDiff(readFloat32(out.logits!), await c.ref.read('logits'));
      expect(diff, g).toBeLessThanOrEqual(TOL);
      expect(new Set(readInt64(out.expert_index!))).toEqual(new Set([c.sizes.length - 1]));
    }
  });

  it('forced choices give each smaller expert its own down projection and bias', async () => {
    const session = await createSession(c.paths.input, { threads: 1 });
    const [B, T] = [c.ref.ids.length, c.ref.ids[0]!.length];
    const L = c.ir.config.numLayers;
    const d = c.ir.config.hidden;
    const rng = new Rng(3);
    const given = Array.from({ length: L * B * T }, () => rng.int(c.sizes.length));
    const out = await run(session, {
      ...tokenFeeds({ ids: c.ref.ids }),
      expert_choice: int64Tensor(given, [L, B, T]),
    });
    let worst = 0;
    for (let l = 0; l < L; l++) {
      const x = readFloat32(out[`mlp_input.${l}`]!);
      const got = readFloat32(out[`mlp_output.${l}`]!);
      for (let k = 0; k < c.sizes.length; k++) {
        const want = await jsExpert(c, { layer: l, x, k });
        for (let r = 0; r < B * T; r++) {
          if (given[l * B * T + r] !== k) continue;
          const span = [r * d, (r + 1) * d] as const;
          worst = Math.max(worst, maxAbsDiff(got.subarray(...span), want.subarray(...span)));
        }
      }
    }
    expect(new Set(given).size).toBe(c.sizes.length);
    expect(worst).toBeLessThanOrEqual(TOL);
  });

  it('the probe’s prefix sums are the adapted expert outputs (the targets stage’s y_k)', async () => {
    let worst = 0;
    for (let l = 0; l < c.ir.config.numLayers; l++) {
      const x = await c.ref.read(`mlp_input.${l}`);
      const session = await createSession(c.probes[l]!, { threads: 1 });
      const out = await run(session, { x: float32Tensor(x, [tokens(), c.ir.config.hidden]) });
      const prefix = new Float32Array(x.length);
      for (let k = 0; k < c.sizes.length; k++) {
        readFloat32(out[`block.${k}`]!).forEach((v, i) => (prefix[i] = prefix[i]! + v));
        worst = Math.max(worst, maxAbsDiff(prefix, await jsExpert(c, { layer: l, x, k })));
      }
      worst = Math.max(worst, maxAbsDiff(prefix, await c.ref.read(`mlp_output.${l}`)));
    }
    expect(worst).toBeLessThanOrEqual(TOL);
  });
});

describe('adapted experts that do not fit the expert sizes', () => {
  it('are refused before any weight is read, naming the layer and field', async () => {
    const ir = await loadModelIR(fixtureDir('llama-gqa'));
    const sizes = expertSizes(ir.config.ffnDim, [0.25, 0.5, 1], 8);
    const good = adaptedExperts(ir, sizes, 1);
    const experts = caseExperts(ir, sizes);
    const build = (adapted: AdaptedExpert[]) =>
      buildMoeDecoder(ir, {
        choice: 'input',
        experts: experts.map((e, i) => (i === 0 ? { ...e, adapted } : e)),
        sizes,
      });
    await expect(build(good.slice(1))).rejects.toThrow(
      new InputError('experts.layers.0.adapted: expected 2 experts (all but the full one), got 1'),
    );
    const short = [{ ...good[0]!, down: good[0]!.down.subarray(1) }, good[1]!];
    const n = sizes[0]! * ir.config.hidden;
    await expect(build(short)).rejects.toThrow(
      new InputError(`experts.layers.0.adapted.0.down: expected ${n} values, got ${n - 1}`),
    );
    await expect(build(short)).rejects.toBeInstanceOf(InputError);
  });
});
