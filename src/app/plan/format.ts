/** A plan as text for people (`moefy plan`); `--json` prints the Plan object itself. FLOPs shown = 2 × MACs. */
import type { Plan } from './types.js';
import type { TextFrom } from '../../recipe/types.js';

export function formatPlan(plan: Plan, recipeName: string): string {
  const sections = [
    ['source', [sourceLine(plan), `recipe ${recipeName}`]],
    ['model', modelLines(plan)],
    ['experts', expertLines(plan)],
    ['router', routerLines(plan)],
    ['stages', stageLines(plan)],
    ['memory', memoryLines(plan)],
    ['disk', diskLines(plan)],
    ['time', timeLines(plan)],
    ['recipe', recipeLines(plan)],
    ...(plan.warnings.length > 0 ? [['warnings', [...plan.warnings]] as const] : []),
  ] as const;
  return sections
    .map(([title, lines]) => lines.map((line, i) => `${(i === 0 ? title : '').padEnd(10)}${line}`).join('\n'))
    .join('\n');
}

function sourceLine({ source }: Plan): string {
  return source.kind === 'local'
    ? `local ${source.path}`
    : `hub ${source.repo}@${source.revision} (commit ${source.sha}, ${source.endpoint})`;
}

function modelLines({ model: m }: Plan): string[] {
  return [
    `${m.family} (${m.architecture}), ${m.numLayers} layers, hidden ${m.hidden}, ` +
      `heads ${m.numHeads} (kv ${m.numKvHeads}) × ${m.headDim}, FFN ${m.ffnDim} (${m.ffnKind}), vocab ${m.vocabSize}`,
    `${count(m.params)} parameters, ${m.sourceDtype}, max positions ${m.maxPositions}, ` +
      `${m.tiedEmbeddings ? 'tied' : 'untied'} embeddings`,
    `dense ${count(2 * m.denseMacsPerToken, 'FLOPs')}/token at mean context ${m.context}`,
  ];
}

function expertLines(plan: Plan): string[] {
  const header = ' k  neurons   width  FFN FLOPs/token  model FLOPs';
  const rows = plan.experts.map(
    (e) =>
      `${String(e.index).padStart(2)}  ${String(e.neurons).padStart(7)}  ${percent(e.fraction).padStart(6)}  ` +
      `${count(2 * e.ffnMacsPerToken).padStart(15)}  ${percent(e.flopsFraction).padStart(11)}`,
  );
  const note = `widths rounded to experts.align ${plan.recipe.experts.align}; model FLOPs include the routers`;
  return [header, ...rows, note];
}

function routerLines({ router: r, recipe }: Plan): string[] {
  const shape = r.kind === 'mlp' ? `mlp, hidden ${recipe.router.hidden}` : 'ridge (linear)';
  return [
    `${shape}: ${count(r.paramsPerLayer)} parameters per layer, ${count(r.params)} in all; ` +
      `${count(2 * r.macsPerToken, 'FLOPs')}/token = ${percent(r.flopsFraction)} of dense`,
  ];
}

/** What convert will run, stage by stage, and where. */
function stageLines({ stages: s }: Plan): string[] {
  const train = s.router.train;
  return [
    `calibrate  ${s.calibrate.windows} windows of ${s.calibrate.seqLen} tokens, ` +
      `${s.calibrate.rowsPerLayer} rows/layer sampled, on ${s.calibrate.device}`,
    `experts    ${s.experts.ordering} ordering, grouping ${s.experts.grouping}, adapt ${adaptLine(s.experts.adapt)}`,
    `targets    ${s.targets.rowsPerLayer} rows/layer × ${s.targets.errorsPerRow} expert errors, on ${s.targets.device}`,
    `router     ridge fit${train ? `, then mlp training ${train.steps} steps on ${train.device}` : ''}`,
    `emit       ${s.emit.graphs.map((g) => g.file).join(', ')}`,
    `eval       ${s.eval.points} points (${s.eval.timed} timed) × ${s.eval.windows} windows of ` +
      `${s.eval.seqLen} tokens, on ${s.eval.device}`,
  ];
}

function adaptLine(a: Plan['stages']['experts']['adapt']): string {
  if (a.method === 'none') return 'none';
  return `${a.method} (ridge ${a.ridge}): +${count(a.extraParams)} parameters`;
}

function memoryLines({ memory: m }: Plan): string[] {
  const adapt =
    m.adaptBytes > 0 ? ` (calibration adds one layer's adaptation sums ${bytes(m.adaptBytes)})` : '';
  return [
    `peak ≈ ${bytes(m.peakBytes)}: max(2 layers ${bytes(m.layersBytes)} + head chunk ${bytes(m.headBytes)} ` +
      `(embedding rows ${bytes(m.embedBytes)}) + ` +
      `hidden states ${bytes(m.hiddenBytes)}${adapt}, latency graphs ${bytes(m.evalBytes)}) + calibration rows ` +
      `${bytes(m.calibrationBytes)} + 300 MB runtime`,
  ];
}

function diskLines({ disk: d }: Plan): string[] {
  return [
    `≈ ${bytes(d.totalBytes)}: MoE graph ${bytes(d.moeGraphBytes)}, dense graph ${bytes(d.denseGraphBytes)}, ` +
      `routers ${bytes(d.routersBytes)}` +
      (d.adaptedBytes > 0 ? ` (MoE graph includes adapted experts ${bytes(d.adaptedBytes)})` : '') +
      (d.precisionGraphBytes > 0 ? `, other output.dtypes ${bytes(d.precisionGraphBytes)}` : ''),
  ];
}

function timeLines({ time: t }: Plan): string[] {
  return [
    `≈ ${seconds(t.totalSeconds)}: io ${seconds(t.ioSeconds)}, calibration ${seconds(t.calibrationSeconds)}, ` +
      `targets ${seconds(t.targetsSeconds)}, ` +
      `routers (ridge fit + training + layer budgets) ${seconds(t.trainSeconds)}, evaluation ${seconds(t.evalSeconds)}`,
    `basis: ${t.basis}`,
  ];
}

function recipeLines({ recipe: r }: Plan): string[] {
  const { train } = r.router;
  return [
    `dtype ${r.dtype}, seed ${r.seed}, ordering ${r.experts.ordering}, grouping ${r.experts.grouping}`,
    `calibration ${r.calibration.tokens} tokens in windows of ${r.calibration.seq_len}, ` +
      `${r.calibration.rows_per_layer} rows/layer from ${textOrigin(r.calibration)}`,
    `router target ${r.router.target}; ${train.steps} steps × batch ${train.batch}, lr ${train.lr} ` +
      `(${train.schedule}) on ${train.device}`,
    `eval ${r.eval.tokens} tokens in windows of ${r.eval.seq_len} from ${textOrigin(r.eval)}`,
    `thresholds ${r.eval.thresholds.join(', ')}`,
  ];
}

function percent(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

/** (1234567, 'B') → "1.23 MB" (SI prefixes, three significant digits). */
function count(x: number, unit = ''): string {
  const prefixes = ['', 'k', 'M', 'G', 'T'];
  let i = 0;
  while (Math.abs(x) >= 1000 && i < prefixes.length - 1) [x, i] = [x / 1000, i + 1];
  const suffix = `${prefixes[i]}${unit}`;
  return suffix ? `${Number(x.toPrecision(3))} ${suffix}` : `${Number(x.toPrecision(3))}`;
}

export function bytes(x: number): string {
  return count(x, 'B');
}

export function seconds(x: number): string {
  if (x < 60) return `${Number(x.toPrecision(2))} s`;
  if (x < 3600) return `${Number((x / 60).toPrecision(2))} min`;
  return `${Number((x / 3600).toPrecision(2))} h`;
}

/** A text file's path, or the dataset a section reads (resolved when convert runs, not by the plan). */
function textOrigin(from: TextFrom): string {
  if (from.text !== undefined) return from.text;
  const d = from.dataset;
  if (d.path !== undefined) return `${d.path} [${d.column}]`;
  return `dataset ${d.id}@${d.revision} ${d.config}/${d.split} [${d.column}]`;
}
