/**
 * Suite `precision` (ORT CPU, 2 intra-op threads, batch 1): what each precision of output.dtypes buys, on two
 * synthetic Llama shapes with random weights, distinct per tensor:
 *   - d=2048 (FFN 5632, 2 layers, vocab 256; the latency suite's shape): every precision;
 *   - the TinyLlama 1.1B shape (22 layers, 32 heads / 4 kv heads, vocab 32000, bf16 checkpoint): fp32 and q4 for
 *     speed (an fp32 routing group would hold ~15 GB of sessions on a shared 24 GB box), every precision for RAM.
 * Per precision, interleaved in one group: its dense graph, its MoE router graph at threshold 0, its input-choice
 * graph fed experts drawn i.i.d. from a fixed mix (≈52% FFN, like kjv-llama's router near threshold 0.15) and the
 * static dense slice at that width. Across precisions, interleaved: the router graphs at threshold 0, against
 * fp32's, and q4's with and without MatMulNBits accuracy_level (int8 vs float32 compute). RAM: one child process per precision opens its router graph and runs it (session-rss.ts).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadTokenizer } from '../src/data/tokenizer.js';
import { loadModelIR } from '../src/families/load.js';
import { expertSizes } from '../src/ir/flops.js';
import type { ModelIR } from '../src/ir/model.js';
import { type Precision, PRECISIONS, Q4_ACCURACY_LEVEL } from '../src/ir/precision.js';
import { onnx } from '../src/onnx/proto.js';
import { float32Tensor, int64Tensor } from '../src/runtime/tensors.js';
import { Rng } from '../src/util/random.js';
import { REPO_ROOT } from './cli-path.js';
import { type Figure, maxBudget, minBudget, type SuiteResult } from './figures.js';
import { DEFAULT_SIZES } from './latency-compare.js';
import { type GraphRun, type LatencySetup, timeGroup } from './latency-measure.js';
import { ratioFigure, speedFigures, speedupStats } from './precision-figures.js';
import { type PrecisionGraphs, writePrecisionGraphs } from './precision-graphs.js';
import { type SynthShape, writeSynthCheckpoint } from './synth-checkpoint.js';
import { round } from './timing.js';

const THREADS = 2;
/** Share of tokens per expert (sizes 1/8, 1/4, 1/2, 3/4, 1 of the FFN): 0.519 of the FFN on average. */
const MIX = [0.15, 0.15, 0.35, 0.25, 0.1];
const KJV = join(REPO_ROOT, 'fixtures/kjv-llama');

interface ShapeRun {
  readonly label: string;
  readonly shape: SynthShape;
  readonly dtype: 'F32' | 'BF16';
  readonly timing: Omit<LatencySetup, 'config' | 'tokens'>;
  /** Precisions timed with routing (dense / t=0 / mix / slice); all are in the cross-precision group. */
  readonly routed: readonly Precision[];
  readonly cross: readonly Precision[];
  readonly targets: boolean;
}

const D2048: SynthShape = { hidden: 2048, ffn: 5632, layers: 2, heads: 16, kvHeads: 4, vocab: 256 };
/** --quick: a smoke run of the whole suite on a small shape. */
const SMALL: SynthShape = { hidden: 256, ffn: 704, layers: 2, heads: 4, kvHeads: 2, vocab: 256 };
const TINYLLAMA: SynthShape = { hidden: 2048, ffn: 5632, layers: 22, heads: 32, kvHeads: 4, vocab: 32000 };

/**
 * `precisionShapes` picks shapes by label (`d=2048`, `1.1B`; default both): the 1.1B shape alone takes the better
 * part of an hour on two shared cores. Each shape's figures go to stderr as soon as it is done, so a run stopped
 * during the next shape still leaves them.
 */
export async function precisionSuite(opts: {
  quick: boolean;
  precisionShapes?: readonly string[];
}): Promise<SuiteResult> {
  const dir = mkdtempSync(join(tmpdir(), 'moefy-bench-precision-'));
  const all: ShapeRun[] = [
    {
      label: opts.quick ? 'd=256' : 'd=2048',
      shape: opts.quick ? SMALL : D2048,
      dtype: 'F32',
      timing: {
        seq: opts.quick ? 32 : 256,
        decodeTokens: opts.quick ? 4 : 32,
        repeats: opts.quick ? 2 : 5,
        threads: THREADS,
      },
      routed: PRECISIONS,
      cross: PRECISIONS,
      targets: false,
    },
    ...(opts.quick
      ? []
      : [
          {
            label: '1.1B',
            shape: TINYLLAMA,
            dtype: 'BF16' as const,
            timing: { seq: 64, decodeTokens: 16, repeats: 3, threads: THREADS },
            routed: ['q4'] as const,
            cross: ['fp32', 'q4'] as const,
            targets: true,
          },
        ]),
  ];
  const known = all.map((r) => r.label);
  const unknown = (opts.precisionShapes ?? []).filter((l) => !known.includes(l));
  if (unknown.length > 0)
    throw new Error(`--precision-shapes: unknown ${unknown.join(', ')}; expected ${known.join(', ')}`);
  const runs = all.filter(
    (r) => opts.quick || !opts.precisionShapes || opts.precisionShapes.includes(r.label),
  );
  const ran = (label: string) => runs.some((r) => r.label === label);
  try {
    const tokens = loadTokenizer(KJV)
      .encode(readFileSync(join(KJV, 'eval.txt'), 'utf8'))
      .slice(0, 512);
    const figures: Figure[] = [];
    for (const r of runs) {
      const shape = await shapeFigures(r, { dir: join(dir, r.label), tokens });
      process.stderr.write(`bench: precision ${r.label} done\n${JSON.stringify(shape)}\n`);
      figures.push(...shape);
    }
    return {
      suite: 'precision',
      settings: {
        runtime: 'onnxruntime-node CPU EP',
        'intra-op threads': THREADS,
        batch: 1,
        [all[0]!.label]: ran(all[0]!.label)
          ? `FFN ${all[0]!.shape.ffn}, 2 layers, vocab 256, f32 checkpoint; prefill ${all[0]!.timing.seq}, decode ${all[0]!.timing.decodeTokens}, ${all[0]!.timing.repeats} rounds`
          : 'skipped (--precision-shapes)',
        '1.1B': opts.quick
          ? 'skipped (--quick)'
          : ran('1.1B')
            ? 'TinyLlama shape, 22 layers, vocab 32000, bf16 checkpoint; prefill 64, decode 16, 3 rounds'
            : 'skipped (--precision-shapes)',
        mix: `${MIX.join('/')} of tokens on experts 1/8…1 of the FFN, i.i.d. per (layer, token)`,
        'q4 kernel': `MatMulNBits accuracy_level ${Q4_ACCURACY_LEVEL} (int8 activations); the q4 router graph without it (float32 compute, ORT's quantizer default) timed in the same rounds`,
      },
      figures,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function shapeFigures(r: ShapeRun, a: { dir: string; tokens: number[] }): Promise<Figure[]> {
  const ckpt = join(a.dir, 'ckpt');
  writeSynthCheckpoint(ckpt, r.shape, r.dtype);
  const ir = await loadModelIR(ckpt);
  const sizes = expertSizes(ir.config.ffnDim, DEFAULT_SIZES, 32);
  const setup: LatencySetup = { ...r.timing, config: ir.config, tokens: a.tokens };
  const sliceNeurons = Math.round((mixFraction(sizes) * ir.config.ffnDim) / 32) * 32;
  const graphs = new Map<Precision, PrecisionGraphs>();
  for (const p of PRECISIONS) {
    const routed = r.routed.includes(p);
    const set = { dense: routed, choice: routed, ...(routed && { slice: sliceNeurons }) };
    graphs.set(p, await writePrecisionGraphs(ir, { dir: a.dir, precision: p, sizes, set }));
  }
  // q4 as ORT's quantizer writes it by default (no accuracy_level: float32 compute), timed beside moefy's q4.
  const q4Float = r.cross.includes('q4') ? withoutAccuracyLevel(graphs.get('q4')!.router) : undefined;
  const figures: Figure[] = [];
  for (const p of r.routed) {
    figures.push(...(await routingFigures(r, { ir, setup, sizes, graphs: graphs.get(p)!, precision: p })));
  }
  figures.push(...(await crossFigures(r, { ir, setup, sizes, graphs, q4Float })));
  figures.push(...(await rssFigures(r, { ir, graphs })));
  return figures;
}

/** Dense, MoE at threshold 0, MoE at the mix and the static slice of one precision, interleaved. */
async function routingFigures(
  r: ShapeRun,
  a: {
    ir: ModelIR;
    setup: LatencySetup;
    sizes: readonly number[];
    graphs: PrecisionGraphs;
    precision: Precision;
  },
): Promise<Figure[]> {
  const { graphs: g, sizes } = a;
  const zero = () => ({ router_threshold: float32Tensor([0], []) });
  const runs: GraphRun[] = [
    { path: g.dense! },
    { path: g.router, sizes, extraFeeds: zero },
    { path: g.choice!, sizes, extraFeeds: choiceFeeds(a.ir, MIX) },
    { path: g.slice!, denseFraction: mixFraction(sizes) },
  ];
  const [dense, t0, mix, slice] = await timeGroup(a.setup, runs);
  const label = `${r.label} ${a.precision}`;
  const rounds = a.setup.repeats;
  const f = round(mix!.decodeFraction, 2);
  const target = r.targets && a.precision === 'q4';
  return [
    ...speedFigures(`${label} dense`, dense!),
    ...speedFigures(`${label} MoE at threshold 0`, t0!),
    ...(['decode', 'prefill'] as const).flatMap((phase) => [
      ratioFigure({
        name: `${label} ${phase}: MoE at threshold 0 / dense time`,
        stats: speedupStats(t0!, dense!, phase),
        rounds,
        kind: 'time',
        note: 'routing overhead',
      }),
      ratioFigure({
        name: `${label} ${phase}: routed (FFN ${f}) speedup vs ${a.precision} dense`,
        stats: speedupStats(dense!, mix!, phase),
        rounds,
        ...(target && phase === 'decode' && { budget: minBudget(1.3, '≥ 1.3×') }),
      }),
      ratioFigure({
        name: `${label} ${phase}: static slice (FFN ${round(slice!.prefillFraction, 2)}) speedup vs dense`,
        stats: speedupStats(dense!, slice!, phase),
        rounds,
        note: 'the bound of nested experts on this runtime',
      }),
    ]),
  ];
}

/**
 * The router graph of every precision at threshold 0, interleaved: decode and prefill against fp32's; and q4's
 * against the same graph without accuracy_level (`q4Float`), the kernel choice ir/precision.ts makes.
 */
async function crossFigures(
  r: ShapeRun,
  a: {
    ir: ModelIR;
    setup: LatencySetup;
    sizes: readonly number[];
    graphs: Map<Precision, PrecisionGraphs>;
    q4Float: string | undefined;
  },
): Promise<Figure[]> {
  const zero = () => ({ router_threshold: float32Tensor([0], []) });
  const paths = [...r.cross.map((p) => a.graphs.get(p)!.router), ...(a.q4Float ? [a.q4Float] : [])];
  const timed = await timeGroup(
    a.setup,
    paths.map((path) => ({ path, sizes: a.sizes, extraFeeds: zero })),
  );
  const fp32 = timed[r.cross.indexOf('fp32')]!;
  const q4 = timed[r.cross.indexOf('q4')];
  const q4Float = a.q4Float ? timed[r.cross.length] : undefined;
  return [
    ...r.cross.flatMap((p, i) => [
      ...(r.routed.includes(p) ? [] : speedFigures(`${r.label} ${p} MoE at threshold 0`, timed[i]!)),
      ...(p === 'fp32'
        ? []
        : (['decode', 'prefill'] as const).map((phase) =>
            ratioFigure({
              name: `${r.label} ${phase}: ${p} / fp32 speed, MoE at threshold 0`,
              stats: speedupStats(fp32, timed[i]!, phase),
              rounds: a.setup.repeats,
              ...(r.targets && p === 'q4' && phase === 'decode' && { budget: minBudget(2, '≥ 2×') }),
            }),
          )),
    ]),
    ...(q4 && q4Float
      ? [
          ...speedFigures(`${r.label} q4 without accuracy_level MoE at threshold 0`, q4Float),
          ...(['decode', 'prefill'] as const).flatMap((phase) => [
            ratioFigure({
              name: `${r.label} ${phase}: q4 without accuracy_level / fp32 speed, MoE at threshold 0`,
              stats: speedupStats(fp32, q4Float, phase),
              rounds: a.setup.repeats,
              note: 'float32 compute, as ORT’s quantizer writes MatMulNBits by default',
            }),
            ratioFigure({
              name: `${r.label} ${phase}: q4 (accuracy_level ${Q4_ACCURACY_LEVEL}) / q4 without accuracy_level speed`,
              stats: speedupStats(q4Float, q4, phase),
              rounds: a.setup.repeats,
              note: 'int8 activations vs float32 compute, the same 4-bit weights',
            }),
          ]),
        ]
      : []),
  ];
}

/** A copy of a graph (same directory, same data file) whose MatMulNBits nodes have no accuracy_level. */
function withoutAccuracyLevel(path: string): string {
  const model = onnx.ModelProto.decode(readFileSync(path));
  for (const node of model.graph?.node ?? []) {
    if (node.opType === 'MatMulNBits')
      node.attribute = (node.attribute ?? []).filter((x) => x.name !== 'accuracy_level');
  }
  const out = path.replace(/\.onnx$/, '_float_compute.onnx');
  writeFileSync(out, onnx.ModelProto.encode(model).finish());
  return out;
}

/** RAM of a session on each precision's router graph, in its own process, against fp32's. */
async function rssFigures(
  r: ShapeRun,
  a: { ir: ModelIR; graphs: Map<Precision, PrecisionGraphs> },
): Promise<Figure[]> {
  const c = a.ir.config;
  const bytes = new Map<Precision, number>();
  for (const p of PRECISIONS) {
    const args = [a.graphs.get(p)!.router, c.numLayers, c.numKvHeads, c.headDim].map(String);
    const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', RSS_SCRIPT, ...args], {
      cwd: REPO_ROOT,
      maxBuffer: 1 << 20,
    });
    const m = JSON.parse(stdout) as { before: number; peak: number };
    bytes.set(p, m.peak - m.before);
  }
  const fp32 = bytes.get('fp32')!;
  return PRECISIONS.flatMap((p) => [
    {
      name: `${r.label} ${p} MoE session RAM`,
      value: round(bytes.get(p)! / 2 ** 20, 0),
      unit: 'MB',
      note: 'peak RSS of a process that opens the router graph and runs it, minus its RSS before',
    },
    ...(p === 'fp32'
      ? []
      : [
          {
            name: `${r.label} ${p} / fp32 session RAM`,
            value: round(bytes.get(p)! / fp32, 3),
            unit: '×',
            ...(r.targets && p === 'q4' && { budget: maxBudget(0.35, '≤ 0.35×') }),
          },
        ]),
  ]);
}

const RSS_SCRIPT = join(REPO_ROOT, 'bench/session-rss.ts');
const execFileAsync = promisify(execFile);

/** Mean FFN fraction of the mix over the nested sizes. */
function mixFraction(sizes: readonly number[]): number {
  const full = sizes.at(-1)!;
  return MIX.reduce((s, p, k) => s + (p * sizes[k]!) / full, 0);
}

/** `expert_choice` feeds drawn i.i.d. per (layer, token) from `mix`, seeded. */
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
