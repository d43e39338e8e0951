/**
 * A task made ready once and scored at every operating point: rows → documents → requests → token ids → score
 * groups, then per point the requests' log-likelihoods through that point's forward → per-document outcomes →
 * metrics with standard errors. Tokenizing once keeps the per-point cost to the model runs.
 */
import type { Row } from '../../data/dataset-rows.js';
import type { TextTokenizer } from '../../data/tokenizer.js';
import { InputError } from '../../util/errors.js';
import { printable } from '../../util/untrusted-text.js';
import { encodeRequest, type SpecialTokens } from './encode.js';
import type { DecoderForward } from './forward.js';
import type { TaskScores } from '../../report/task-types.js';
import { aggregate, docOutcome } from './metrics.js';
import { docRequests } from './requests.js';
import { groupDocument, type ScoreGroup } from './score-groups.js';
import { type ScoreOptions, scoreRequests } from './score.js';
import { type TaskDefinition, type TaskDoc, TaskRowError } from './types.js';

export interface PrepareOptions {
  readonly definition: TaskDefinition;
  /** The split's rows in order (only `definition.columns` are needed). */
  readonly rows: AsyncIterable<Row>;
  /** The first `limit` documents (the harness's --limit); null = all. */
  readonly limit: number | null;
  readonly tokenizer: Pick<TextTokenizer, 'encode'>;
  /** The model's maximum sequence length: longer requests are cut on the left, as the harness does. */
  readonly maxLength: number;
  readonly special: SpecialTokens;
  /** Names the task and its data in errors. */
  readonly label: string;
}

export interface PreparedTask {
  readonly definition: TaskDefinition;
  readonly label: string;
  readonly docs: readonly TaskDoc[];
  /** Document i's requests are [offsets[i], offsets[i + 1]) of the flat request list. */
  readonly offsets: readonly number[];
  readonly groups: readonly ScoreGroup[];
  /** Tokens one point feeds the model (prefixes once, tails per request, padding not counted). */
  readonly tokens: number;
}

export async function prepareTask(o: PrepareOptions): Promise<PreparedTask> {
  const docs: TaskDoc[] = [];
  const offsets = [0];
  const groups: ScoreGroup[] = [];
  let index = 0;
  for await (const row of o.rows) {
    if (o.limit !== null && docs.length >= o.limit) break;
    index++;
    try {
      const doc = o.definition.doc(row);
      const encoded = docRequests(doc, o.definition.targetDelimiter).map((r) =>
        encodeRequest(o.tokenizer, r, o.special),
      );
      groups.push(...groupDocument(encoded, offsets.at(-1)!, o.maxLength));
      docs.push(doc);
      offsets.push(offsets.at(-1)! + encoded.length);
    } catch (err) {
      if (!(err instanceof TaskRowError)) throw err;
      throw new InputError(`${o.label}: row ${index}: ${printable(err.message)}`);
    }
  }
  if (docs.length === 0) throw new InputError(`${o.label}: no rows to score`);
  const tokens = groups.reduce(
    (n, g) => n + g.shared.length + g.units.reduce((m, u) => m + u.tail.length, 0),
    0,
  );
  return { definition: o.definition, label: o.label, docs, offsets, groups, tokens };
}

export async function scoreTask(
  task: PreparedTask,
  forward: DecoderForward,
  opts: ScoreOptions,
): Promise<TaskScores> {
  const scores = await scoreRequests(forward, task.groups, task.offsets.at(-1)!, opts);
  const outcomes = task.docs.map((doc, i) =>
    docOutcome(doc, scores.slice(task.offsets[i], task.offsets[i + 1])),
  );
  return aggregate(outcomes, task.definition.metrics);
}
