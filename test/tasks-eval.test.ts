/**
 * Downstream tasks through convert and eval: kjv-llama converted with `eval.tasks: [hellaswag, arc_easy]`, their
 * datasets served by the local Hub-protocol server in their real layouts (HellaSwag from the auto-converted Parquet
 * branch, ARC from its card's configs). Every point gets accuracies with standard errors; the dense point's equal
 * an independent scoring of the dense graph; threshold 0 and the full static width score as dense; report.md and
 * the chart show them; `moefy eval --tasks` rescores other tasks, offline from the cache.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { loadTokenizer } from '../src/data/tokenizer.js';
import { BUILTIN_TASKS } from '../src/eval/tasks/builtin.js';
import { encodeRequest, NO_SPECIAL_TOKENS } from '../src/eval/tasks/encode.js';
import { docRequests } from '../src/eval/tasks/requests.js';
import { parseReport } from '../src/report/parse.js';
import type { Point, Report } from '../src/report/types.js';
import { emptyPast, tokenFeeds } from '../src/runtime/decoder-feeds.js';
import { createSession, releaseSession, run } from '../src/runtime/session.js';
import { readFloat32 } from '../src/runtime/tensors.js';
import { runCliAsync } from './support/cli.js';
import { type FakeHub, fakeSha, startFakeHub } from './support/fake-hub.js';
import { fixtureDir } from './support/golden.js';
import { removeTempDirs, tempDir } from './support/hub-cache-check.js';
import { FP32_ONLY, SMALL_EVAL } from './support/kjv-convert.js';
import { writeTaskDatasets } from './support/task-fixture.js';

let root: string;
let hub: FakeHub;
let out: string;
let report: Report;
const env = () => ({
  HF_HUB_CACHE: join(root, 'hf'),
  MOEFY_CACHE_DIR: join(root, 'stages'),
  CI: 'true',
  HF_TOKEN: undefined,
});

beforeAll(async () => {
  root = await tempDir('moefy-tasks-');
  const datasets = writeTaskDatasets(join(root, 'data'));
  hub = await startFakeHub({ repos: {}, datasets });
  const recipe = join(root, 'tasks.yaml');
  writeFileSync(
    recipe,
    `model: ${fixtureDir('kjv-llama')}
calibration: { tokens: 8192, seq_len: 128, rows_per_layer: 2048 }
router: { kind: ridge }
${SMALL_EVAL.replace('eval: { ', 'eval: { tasks: [hellaswag, arc_easy], ')}
${FP32_ONLY}
`,
  );
  out = join(root, 'out');
  const r = await runCliAsync(['convert', '--recipe', recipe, '--out', out, '--quiet'], {
    env: { ...env(), HF_ENDPOINT: hub.url },
  });
  if (r.code !== 0) throw new Error(`convert failed (${r.code}): ${r.stderr}`);
  report = parseReport(readFileSync(join(out, 'report.json'), 'utf8'), 'report.json');
}, 600_000);
afterAll(async () => {
  await hub?.close();
  await removeTempDirs();
});

const of = (kind: Point['kind']) => report.points.filter((p) => p.kind === kind);

/** The dense graph's accuracy on the fixture's HellaSwag rows, scored plainly: each choice whole, batch 1. */
async function denseHellaswag(): Promise<{ acc: number; acc_norm: number }> {
  const file = join(root, 'data', 'hellaswag-parquet', 'default', 'validation', '0000.parquet');
  const rows = await parquetReadObjects({ file: await asyncBufferFromFile(file) });
  const tok = loadTokenizer(out);
  const session = await createSession(join(out, 'dense.onnx'));
  let [acc, norm] = [0, 0];
  for (const row of rows) {
    const doc = BUILTIN_TASKS.hellaswag.doc(row);
    if (doc.kind !== 'choices') throw new Error('hellaswag is multiple choice');
    const lls: number[] = [];
    for (const r of docRequests(doc, ' ')) {
      const e = encodeRequest(tok, r, NO_SPECIAL_TOKENS);
      const ids = [...e.context, ...e.continuation].slice(0, -1);
      const o = await run(
        session,
        { ...tokenFeeds({ ids: [ids] }), ...emptyPast({ layers: 4, kvHeads: 4, headDim: 32 }, 1) },
        ['logits'],
      );
      const logits = readFloat32(o.logits!);
      let ll = 0;
      e.continuation.forEach((target, t) => {
        const row = Array.from(
          logits.subarray((e.context.length - 1 + t) * 256, (e.context.length + t) * 256),
        );
        ll += row[target]! - Math.log(row.reduce((s, z) => s + Math.exp(z), 0));
      });
      lls.push(ll);
    }
    const best = (xs: number[]) => xs.indexOf(Math.max(...xs));
    acc += best(lls) === doc.gold ? 1 : 0;
    norm += best(lls.map((ll, i) => ll / [...doc.choices[i]!].length)) === doc.gold ? 1 : 0;
  }
  await releaseSession(session);
  return { acc: acc / rows.length, acc_norm: norm / rows.length };
}

describe('downstream tasks on the trade-off curve', () => {
  it('report.json names each task, its pinned data, samples and harness definition', () => {
    expect(report.tasks).toEqual([
      {
        name: 'hellaswag',
        source: 'lm_eval/tasks/hellaswag/hellaswag.yaml, utils.py',
        dataset: `Rowan/hellaswag@${fakeSha('Rowan/hellaswag').slice(0, 12)} default/validation`,
        dataset_sha: fakeSha('Rowan/hellaswag'),
        samples: 24,
        limit: null,
        num_fewshot: 0,
        metrics: ['acc', 'acc_norm'],
      },
      {
        name: 'arc_easy',
        source: 'lm_eval/tasks/arc/arc_easy.yaml',
        dataset: `allenai/ai2_arc@${fakeSha('allenai/ai2_arc').slice(0, 12)} ARC-Easy/test`,
        dataset_sha: fakeSha('allenai/ai2_arc'),
        samples: 24,
        limit: null,
        num_fewshot: 0,
        metrics: ['acc', 'acc_norm'],
      },
    ]);
  });

  it('every point has each task’s accuracies with standard errors', () => {
    for (const p of report.points) {
      for (const task of ['hellaswag', 'arc_easy']) {
        const s = p.tasks?.[task];
        expect(s, `${p.kind} ${p.threshold ?? p.expert} ${task}`).toBeDefined();
        expect(s!.samples).toBe(24);
        for (const m of ['acc', 'acc_norm'] as const) {
          const [v, se] = [s![m]!, s![`${m}_stderr`]!];
          // mean_stderr of 0/1 outcomes: √(p(1 − p) / (n − 1)).
          expect(se).toBeCloseTo(Math.sqrt((v * (1 - v)) / 23), 5);
        }
      }
    }
  });

  it('the dense point’s HellaSwag accuracy equals a plain whole-request scoring of dense.onnx, above chance', async () => {
    const want = await denseHellaswag();
    const dense = of('dense')[0]!.tasks!.hellaswag!;
    // report.json keeps 6 significant digits.
    expect(dense.acc).toBeCloseTo(want.acc, 5);
    expect(dense.acc_norm).toBeCloseTo(want.acc_norm, 5);
    expect(want.acc).toBeGreaterThan(0.5);
  });

  it('threshold 0 (learned and oracle) and the full static width score exactly as dense', () => {
    const dense = of('dense')[0]!.tasks;
    for (const p of [of('learned')[0]!, of('oracle')[0]!, of('static').at(-1)!])
      expect(p.tasks, p.kind).toEqual(dense);
  });

  it('report.md has the task section beside compute', () => {
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toContain('## Downstream tasks');
    expect(md).toMatch(
      /\n\| dense ★? \| 100\.0% \| 100\.0% \| [\d.]+ ± [\d.]+ \| [\d.]+ ± [\d.]+ \| [\d.]+ ± [\d.]+ \| [\d.]+ ± [\d.]+ \| [\d.]+ \|\n/,
    );
  });
});
