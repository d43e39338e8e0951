/**
 * Task scoring on real graphs: every request's log-likelihood and greedy flag, scored in batches with shared
 * prefixes in the KV cache and right padding, equal a plain log-softmax over the logits of that request run alone
 * and whole (the harness's input), on the dense kjv-llama graph and on a routed MoE graph at a threshold, and for
 * any batch size. WinoGrande's partial scoring scores only the continuation after the blank.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTokenizer } from '../src/data/tokenizer.js';
import { BUILTIN_TASKS } from '../src/eval/tasks/builtin.js';
import { customTask } from '../src/eval/tasks/custom.js';
import { type EncodedRequest, encodeRequest, NO_SPECIAL_TOKENS } from '../src/eval/tasks/encode.js';
import { sessionForward } from '../src/eval/tasks/forward.js';
import { docRequests } from '../src/eval/tasks/requests.js';
import { groupDocument } from '../src/eval/tasks/score-groups.js';
import { type RequestScore, scoreRequests } from '../src/eval/tasks/score.js';
import { prepareTask, scoreTask } from '../src/eval/tasks/suite.js';
import type { TaskDoc } from '../src/eval/tasks/types.js';
import { loadModelIR } from '../src/families/load.js';
import { writeDecoder } from '../src/graph/write-decoder.js';
import { type CacheShape, emptyPast, tokenFeeds } from '../src/runtime/decoder-feeds.js';
import { createSession, type Feeds, releaseSession, run, type Session } from '../src/runtime/session.js';
import { float32Tensor, readFloat32 } from '../src/runtime/tensors.js';
import { InputError } from '../src/util/errors.js';
import { fixtureDir } from './support/golden.js';
import { buildMoeCase } from './support/moe-build.js';

const dir = mkdtempSync(join(tmpdir(), 'moefy-task-score-'));
const KJV: CacheShape = { layers: 4, kvHeads: 4, headDim: 32 };
const V = 256;
let dense: Session;
afterAll(async () => {
  await dense?.release();
  rmSync(dir, { recursive: true, force: true });
});
beforeAll(async () => {
  const graph = await writeDecoder(await loadModelIR(fixtureDir('kjv-llama')), { dir, withPast: true });
  dense = await createSession(graph.modelPath);
});

/** The harness's scoring of one request, written out plainly: whole input, batch 1, log of a sum of exps. */
async function reference(
  session: Session,
  cache: CacheShape,
  r: EncodedRequest,
  o: { maxLength: number; extra?: Feeds },
): Promise<RequestScore> {
  const all = [...r.context, ...r.continuation];
  const input = all.slice(-(o.maxLength + 1)).slice(0, -1);
  const targets = r.continuation.slice(-input.length);
  const out = await run(session, { ...tokenFeeds({ ids: [input] }), ...emptyPast(cache, 1), ...o.extra }, [
    'logits',
  ]);
  const logits = readFloat32(out.logits!);
  let loglikelihood = 0;
  let greedy = true;
  targets.forEach((target, t) => {
    const row = Array.from(
      logits.subarray((input.length - targets.length + t) * V, (input.length - targets.length + t + 1) * V),
    );
    loglikelihood += row[target]! - Math.log(row.reduce((s, z) => s + Math.exp(z), 0));
    if (row.indexOf(Math.max(...row)) !== target) greedy = false;
  });
  return { loglikelihood, greedy };
}

const tok = loadTokenizer(fixtureDir('kjv-llama'));

const DOCS: TaskDoc[] = [
  {
    kind: 'choices',
    context: 'And God said, Let there be light:',
    choices: [
      'and there was light.',
      'and the sea roared.',
      'and he went up into a mountain to pray, and was there alone.',
    ],
    gold: 0,
  },
  {
    kind: 'choices',
    context: 'Question: Who built the ark?\nAnswer:',
    choices: ['Noah', 'Moses', 'Pharaoh king of Egypt'],
    gold: 0,
  },
  {
    kind: 'contexts',
    contexts: ['In the beginning God', 'In the beginning Moses'],
    continuation: 'created the heaven and the earth.',
    gold: 0,
  },
  { kind: 'continuation', context: 'The LORD is my shepherd; I shall not', continuation: ' want' },
  {
    kind: 'choices',
    context: 'Blessed are the meek:',
    choices: ['for they shall inherit the earth.', 'for theirs is the kingdom of heaven.'],
    gold: 0,
  },
];

function encodeAll(docs: readonly TaskDoc[]): EncodedRequest[][] {
  return docs.map((d) => docRequests(d, ' ').map((r) => encodeRequest(tok, r, NO_SPECIAL_TOKENS)));
}

async function scoreAll(o: {
  session: Session;
  cache: CacheShape;
  encoded: EncodedRequest[][];
  maxLength: number;
  maxRows: number;
  extra?: (batch: number, seq: number) => Feeds;
}): Promise<RequestScore[]> {
  let first = 0;
  const groups = o.encoded.flatMap((reqs) => {
    const g = groupDocument(reqs, first, o.maxLength);
    first += reqs.length;
    return g;
  });
  const forward = sessionForward({
    session: o.session,
    cache: o.cache,
    ...(o.extra && { extraFeeds: o.extra }),
  });
  return scoreRequests(forward, groups, first, { vocab: V, maxRows: o.maxRows, maxTokens: 4096 });
}

function expectClose(got: readonly RequestScore[], want: readonly RequestScore[]): void {
  expect(got.map((s) => s.greedy)).toEqual(want.map((s) => s.greedy));
  got.forEach((s, i) =>
    expect(Math.abs(s.loglikelihood - want[i]!.loglikelihood), `request ${i}`).toBeLessThan(1e-4),
  );
}

describe('task scoring on the dense kjv-llama graph', () => {
  const encoded = encodeAll(DOCS);

  it('shares each question’s context in the KV cache and matches the whole-request reference at any batch size', async () => {
    const want = await Promise.all(encoded.flat().map((r) => reference(dense, KJV, r, { maxLength: 256 })));
    for (const maxRows of [1, 3, 64])
      expectClose(await scoreAll({ session: dense, cache: KJV, encoded, maxLength: 256, maxRows }), want);
    // The choices of a question share one prefix: context minus its last token; each tail starts with that token.
    const groups = groupDocument(encoded[0]!, 0, 256);
    expect(groups).toHaveLength(1);
    expect(groups[0]!.shared).toEqual(encoded[0]![0]!.context.slice(0, -1));
    expect(groups[0]!.units.map((u) => u.tail[0])).toEqual(new Array(3).fill(encoded[0]![0]!.context.at(-1)));
  });

  it('cuts long requests on the left at the model length, as the harness does', async () => {
    const want = await Promise.all(encoded.flat().map((r) => reference(dense, KJV, r, { maxLength: 24 })));
    expectClose(await scoreAll({ session: dense, cache: KJV, encoded, maxLength: 24, maxRows: 4 }), want);
  });

  it('winogrande scores only the continuation after the blank, under each option’s context', async () => {
    const [a, b] = encoded[2]!;
    // Both requests score the same tokens, " created the heaven and the earth."; the options are context.
    expect(a!.continuation).toEqual(tok.encode(' created the heaven and the earth.'));
    expect(b!.continuation).toEqual(a!.continuation);
    expect(a!.context).toEqual(tok.encode('In the beginning God'));
    const scores = await scoreAll({
      session: dense,
      cache: KJV,
      encoded: [encoded[2]!],
      maxLength: 256,
      maxRows: 8,
    });
    expectClose(scores, [
      await reference(dense, KJV, a!, { maxLength: 256 }),
      await reference(dense, KJV, b!, { maxLength: 256 }),
    ]);
    // Scoring the whole sentences instead would add the options' own tokens: a different number.
    const whole = await reference(
      dense,
      KJV,
      {
        context: [tok.encode('I')[0]!],
        continuation: tok.encode('n the beginning God created the heaven and the earth.'),
      },
      { maxLength: 256 },
    );
    expect(Math.abs(whole.loglikelihood - scores[0]!.loglikelihood)).toBeGreaterThan(0.5);
  });

  it('prepares a task from rows and scores it: the harness’s metrics from the same log-likelihoods', async () => {
    async function* rows() {
      yield {
        question: 'Who built the ark?',
        choices: ['Noah', 'Moses', 'Pharaoh king of Egypt'],
        answer: 0,
      };
      yield { question: 'Who was swallowed by a great fish?', choices: ['Jonah', 'David'], answer: 0 };
      yield { question: 'never read: past the limit', choices: ['a'], answer: 0 };
    }
    const definition = customTask({
      name: 'bible-qa',
      data: { kind: 'local', path: '/x' },
      context: 'Question: {{question}}\nAnswer:',
      choices: 'choices',
      label: 'answer',
      targetDelimiter: ' ',
    });
    const task = await prepareTask({
      definition,
      rows: rows(),
      limit: 2,
      tokenizer: tok,
      maxLength: 256,
      special: NO_SPECIAL_TOKENS,
      label: 'task bible-qa',
    });
    expect(task.docs).toHaveLength(2);
    expect(task.offsets).toEqual([0, 3, 5]);
    const forward = sessionForward({ session: dense, cache: KJV });
    const scores = await scoreTask(task, forward, { vocab: V, maxRows: 16, maxTokens: 4096 });
    const lls = await Promise.all(
      task.docs
        .flatMap((d) => docRequests(d, ' '))
        .map((r) => reference(dense, KJV, encodeRequest(tok, r, NO_SPECIAL_TOKENS), { maxLength: 256 })),
    );
    const argmax = (xs: number[]) => xs.indexOf(Math.max(...xs));
    const acc = [
      argmax(lls.slice(0, 3).map((s) => s.loglikelihood)) === 0,
      argmax(lls.slice(3).map((s) => s.loglikelihood)) === 0,
    ].map(Number);
    expect(scores.samples).toBe(2);
    expect(scores.acc).toBe((acc[0]! + acc[1]!) / 2);
  });

  it('names the row and the task when a row cannot be scored', async () => {
    async function* rows() {
      yield { text: 'one two three' };
      yield { text: 'single' };
    }
    await expect(
      prepareTask({
        definition: BUILTIN_TASKS.lambada_openai,
        rows: rows(),
        limit: null,
        tokenizer: tok,
        maxLength: 256,
        special: NO_SPECIAL_TOKENS,
        label: 'task lambada_openai (x.parquet)',
      }),
    ).rejects.toThrow(
      new InputError(
        `task lambada_openai (x.parquet): row 2: 'text' has a single word: nothing to predict it from`,
      ),
    );
    async function* none() {}
    await expect(
      prepareTask({
        definition: BUILTIN_TASKS.lambada_openai,
        rows: none(),
        limit: null,
        tokenizer: tok,
        maxLength: 256,
        special: NO_SPECIAL_TOKENS,
        label: 'task lambada_openai (x.parquet)',
      }),
    ).rejects.toThrow(new InputError('task lambada_openai (x.parquet): no rows to score'));
  });
});

describe('task scoring on a routed MoE graph', () => {
  it('prefix sharing is exact under per-token routing: the same scores as whole requests at the same threshold', async () => {
    const moeDir = join(dir, 'moe');
    mkdirSync(moeDir);
    const { paths, threshold, ir } = await buildMoeCase('llama-gqa', moeDir);
    const session = await createSession(paths.past);
    const cache = { layers: ir.config.numLayers, kvHeads: ir.config.numKvHeads, headDim: ir.config.headDim };
    const extra = () => ({ router_threshold: float32Tensor([threshold], []) });
    try {
      const encoded = encodeAll(DOCS);
      const want = await Promise.all(
        encoded.flat().map((r) => reference(session, cache, r, { maxLength: 128, extra: extra() })),
      );
      expectClose(await scoreAll({ session, cache, encoded, maxLength: 128, maxRows: 5, extra }), want);
      // A different threshold routes differently and changes the log-likelihoods.
      const other = await scoreAll({
        session,
        cache,
        encoded,
        maxLength: 128,
        maxRows: 5,
        extra: () => ({ router_threshold: float32Tensor([threshold * 8], []) }),
      });
      expect(
        Math.max(...other.map((s, i) => Math.abs(s.loglikelihood - want[i]!.loglikelihood))),
      ).toBeGreaterThan(1e-3);
    } finally {
      await releaseSession(session);
    }
  });
});
