/**
 * The latency suite's synthetic model: d=2048, FFN 5632 (the DESIGN.md §4 reference shape), random f32 weights,
 * a byte-level vocabulary so the LM head stays small. Identity permutations and random routers: the router graph
 * at threshold 0 measures routing overhead; the input-choice graph, fed experts drawn from kjv-llama's realized
 * choice distributions, gives the routed operating points.
 */
import { join } from 'node:path';
import { loadModelIR } from '../src/families/load.js';
import { expertSizes } from '../src/ir/flops.js';
import type { ModelIR } from '../src/ir/model.js';
import { float32Tensor, int64Tensor } from '../src/runtime/tensors.js';
import { Rng } from '../src/util/random.js';
import type { Figure } from './figures.js';
import { overheadFigures } from './latency-figures.js';
import { writeDense, writeSyntheticMoe } from './latency-graphs.js';
import { type GraphRun, type LatencySetup, timeGroup } from './latency-measure.js';
import { comparePoint, DEFAULT_SIZES, sliceWriter, type Timing } from './latency-compare.js';
import { writeSynthCheckpoint } from './synth-checkpoint.js';
import { median, round } from './timing.js';

export const SYNTH = { hidden: 2048, ffn: 5632, layers: 2, heads: 16, kvHeads: 4, vocab: 256 };

export async function syntheticFigures(a: {
  dir: string;
  tokens: number[];
  timing: Timing;
  mixes: number[][];
}): Promise<Figure[]> {
  const ckpt = join(a.dir, 'ckpt');
  writeSynthCheckpoint(ckpt, SYNTH, 'F32');
  const ir = await loadModelIR(ckpt);
  const setup: LatencySetup = { ...a.timing, config: ir.config, tokens: a.tokens };
  const sizes = expertSizes(ir.config.ffnDim, DEFAULT_SIZES, 16);
  const dense: GraphRun = { path: await writeDense(ir, join(a.dir, 'dense'), 'dense.onnx') };
  const moe = await writeSyntheticMoe(ir, { dir: join(a.dir, 'moe'), sizes });
  const label = `synthetic d=${SYNTH.hidden}`;
  const zero = () => ({ router_threshold: float32Tensor([0], []) });
  const full = sizes.map((_, k) => (k === sizes.length - 1 ? 1 : 0));
  const [d, routedZero, choiceFull] = await timeGroup(setup, [
    dense,
    { path: moe.router, sizes, extraFeeds: zero },
    { path: moe.input, sizes, extraFeeds: choiceFeeds(ir, full) },
  ]);
  const figures: Figure[] = [
    { name: `${label} dense prefill`, value: round(median(d!.prefill), 1), unit: 'ms' },
    { name: `${label} dense decode`, value: round(median(d!.decode), 2), unit: 'ms/token' },
    ...overheadFigures({ label: `${label} router graph`, dense: d!, moe: routedZero! }),
    ...overheadFigures({ label: `${label} choice graph (all full)`, dense: d!, moe: choiceFull! }),
  ];
  const slice = sliceWriter(ir, a.dir);
  for (const mix of a.mixes) {
    const routed: GraphRun = { path: moe.input, sizes, extraFeeds: choiceFeeds(ir, mix) };
    const f = mix.reduce((s, p, k) => s + (p * sizes[k]!) / ir.config.ffnDim, 0);
    const mixText = mix.map((p) => round(p, 2)).join('/');
    figures.push(
      ...(await comparePoint({
        label: `${label} mix ${mixText}`,
        setup,
        dense,
        routed,
        fractions: { prefill: f, decode: f },
        slice,
        routerMacs: 0,
      })),
    );
  }
  return figures;
}

/** `expert_choice` feeds drawn i.i.d. per (layer, token) from `mix` (a distribution over experts), seeded. */
function choiceFeeds(ir: ModelIR, mix: readonly number[]) {
  const rng = new Rng(5);
  const layers = ir.config.numLayers;
  const draw = () => {
    let u = rng.next();
    for (let k = 0; k < mix.length; k++) if ((u -= mix[k]!) < 0) return k;
    return mix.length - 1;
  };
  return (batch: number, seq: number) => ({
    expert_choice: int64Tensor(Array.from({ length: layers * batch * seq }, draw), [layers, batch, seq]),
  });
}
