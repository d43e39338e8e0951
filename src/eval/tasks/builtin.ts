/**
 * The built-in tasks, each a transcription of lm-evaluation-harness's task definition (files under
 * https://github.com/EleutherAI/lm-evaluation-harness/tree/main/lm_eval/tasks, as of harness 0.4.x): the same Hub
 * dataset, config and evaluation split (its `test_split`, else `validation_split`), the same prompt
 * (`doc_to_text`), choices (`doc_to_choice`), gold (`doc_to_target`), target delimiter (" ", the TaskConfig
 * default) and metrics. Zero-shot: the harness's default `num_fewshot` for all of them.
 */
import type { Row } from '../../data/dataset-rows.js';
import { preprocessHellaswag } from './hellaswag.js';
import type { BuiltinTaskName } from './names.js';
import { goldIndex, integer, text, texts } from './row-values.js';
import { type TaskDefinition, type TaskDoc, TaskRowError } from './types.js';

const hub = (id: string, config: string, split: string) =>
  ({ kind: 'hub', id, config, split, revision: 'main' }) as const;

const DELIMITER = ' ';

/** hellaswag.yaml + utils.py: query = preprocess(activity_label + ": " + ctx_a + " " + ctx_b.capitalize()). */
function hellaswagDoc(row: Row): TaskDoc {
  const ctxB = text(row, 'ctx_b');
  const ctx = `${text(row, 'ctx_a')} ${ctxB.charAt(0).toUpperCase()}${ctxB.slice(1).toLowerCase()}`;
  const choices = texts(row, 'endings').map(preprocessHellaswag);
  return {
    kind: 'choices',
    context: preprocessHellaswag(`${text(row, 'activity_label')}: ${ctx}`),
    choices,
    gold: goldIndex(integer(row, 'label'), choices.length, 'label'),
  };
}

/** arc_easy.yaml: "Question: {{question}}\nAnswer:", choices.text, gold = choices.label.index(answerKey). */
function arcDoc(row: Row): TaskDoc {
  const choices = texts(row, 'choices.text');
  const labels = texts(row, 'choices.label');
  const key = text(row, 'answerKey');
  const gold = labels.indexOf(key);
  if (gold < 0) throw new TaskRowError(`answerKey "${key}" is not one of choices.label ${labels.join(', ')}`);
  return { kind: 'choices', context: `Question: ${text(row, 'question')}\nAnswer:`, choices, gold };
}

/** piqa.yaml: "Question: {{goal}}\nAnswer:", [sol1, sol2], label. */
function piqaDoc(row: Row): TaskDoc {
  const choices = [text(row, 'sol1'), text(row, 'sol2')];
  return {
    kind: 'choices',
    context: `Question: ${text(row, 'goal')}\nAnswer:`,
    choices,
    gold: goldIndex(integer(row, 'label'), 2, 'label'),
  };
}

/**
 * winogrande/preprocess_winogrande.py: the blank `_` is filled with each option and the sentence cut there
 * (doc_to_choice: the contexts); the continuation is what follows the blank, stripped (doc_to_target); the gold
 * is answer "1"/"2" (doc_to_text). Only the shared continuation is scored.
 */
function winograndeDoc(row: Row): TaskDoc {
  const sentence = text(row, 'sentence');
  const blank = sentence.indexOf('_');
  if (blank < 0) throw new TaskRowError(`'sentence' has no blank "_"`);
  const answer = text(row, 'answer');
  if (answer !== '1' && answer !== '2')
    throw new TaskRowError(`'answer' is "${answer}", expected "1" or "2"`);
  return {
    kind: 'contexts',
    contexts: [text(row, 'option1'), text(row, 'option2')].map((o) => sentence.slice(0, blank) + o),
    continuation: sentence.slice(blank + 1).trim(),
    gold: Number(answer) - 1,
  };
}

/** lambada_openai.yaml: context = every word but the last, continuation = " " + the last word (split on ' '). */
function lambadaDoc(row: Row): TaskDoc {
  const words = text(row, 'text').split(' ');
  if (words.length < 2) throw new TaskRowError(`'text' has a single word: nothing to predict it from`);
  return { kind: 'continuation', context: words.slice(0, -1).join(' '), continuation: ` ${words.at(-1)!}` };
}

const TASKS_DIR = 'lm_eval/tasks';

export const BUILTIN_TASKS = {
  hellaswag: {
    name: 'hellaswag',
    data: hub('Rowan/hellaswag', 'default', 'validation'),
    columns: ['activity_label', 'ctx_a', 'ctx_b', 'endings', 'label'],
    metrics: ['acc', 'acc_norm'],
    targetDelimiter: DELIMITER,
    doc: hellaswagDoc,
    source: `${TASKS_DIR}/hellaswag/hellaswag.yaml, utils.py`,
  },
  arc_easy: {
    name: 'arc_easy',
    data: hub('allenai/ai2_arc', 'ARC-Easy', 'test'),
    columns: ['question', 'choices', 'answerKey'],
    metrics: ['acc', 'acc_norm'],
    targetDelimiter: DELIMITER,
    doc: arcDoc,
    source: `${TASKS_DIR}/arc/arc_easy.yaml`,
  },
  arc_challenge: {
    name: 'arc_challenge',
    data: hub('allenai/ai2_arc', 'ARC-Challenge', 'test'),
    columns: ['question', 'choices', 'answerKey'],
    metrics: ['acc', 'acc_norm'],
    targetDelimiter: DELIMITER,
    doc: arcDoc,
    source: `${TASKS_DIR}/arc/arc_challenge.yaml (includes arc_easy.yaml)`,
  },
  piqa: {
    name: 'piqa',
    data: hub('baber/piqa', 'default', 'validation'),
    columns: ['goal', 'sol1', 'sol2', 'label'],
    metrics: ['acc', 'acc_norm'],
    targetDelimiter: DELIMITER,
    doc: piqaDoc,
    source: `${TASKS_DIR}/piqa/piqa.yaml`,
  },
  winogrande: {
    name: 'winogrande',
    data: hub('allenai/winogrande', 'winogrande_xl', 'validation'),
    columns: ['sentence', 'option1', 'option2', 'answer'],
    metrics: ['acc'],
    targetDelimiter: DELIMITER,
    doc: winograndeDoc,
    source: `${TASKS_DIR}/winogrande/default.yaml, preprocess_winogrande.py`,
  },
  lambada_openai: {
    name: 'lambada_openai',
    data: hub('EleutherAI/lambada_openai', 'default', 'test'),
    columns: ['text'],
    metrics: ['perplexity', 'acc'],
    targetDelimiter: DELIMITER,
    doc: lambadaDoc,
    source: `${TASKS_DIR}/lambada/lambada_openai.yaml`,
  },
} as const satisfies Record<BuiltinTaskName, TaskDefinition>;
