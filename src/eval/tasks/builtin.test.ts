/**
 * The built-in tasks turn rows shaped like their Hub datasets into the harness's documents and requests. The
 * HellaSwag row is the first of its validation split, whose prompt the harness's docs quote.
 */
import { describe, expect, it } from 'vitest';
import { BUILTIN_TASKS } from './builtin.js';
import { customTask, renderTemplate } from './custom.js';
import { preprocessHellaswag } from './hellaswag.js';
import { docRequests } from './requests.js';
import { TaskRowError } from './types.js';

describe('built-in task documents', () => {
  it('hellaswag: activity label, ctx_a and capitalized ctx_b; bracket artifacts removed', () => {
    const t = BUILTIN_TASKS.hellaswag;
    const doc = t.doc({
      activity_label: 'Roof shingle removal',
      ctx_a: 'A man is sitting on a roof.',
      ctx_b: 'he',
      endings: [
        'is using wrap to wrap a pair of skis.',
        'is ripping level tiles off.',
        "is holding a rubik's cube.",
        'starts pulling up roofing on a roof.',
      ],
      label: '3',
    });
    expect(doc).toEqual({
      kind: 'choices',
      context: 'Roof shingle removal: A man is sitting on a roof. He',
      choices: [
        'is using wrap to wrap a pair of skis.',
        'is ripping level tiles off.',
        "is holding a rubik's cube.",
        'starts pulling up roofing on a roof.',
      ],
      gold: 3,
    });
    expect(docRequests(doc, t.targetDelimiter)[1]).toEqual({
      context: 'Roof shingle removal: A man is sitting on a roof. He',
      continuation: ' is ripping level tiles off.',
    });
    // Python's str.capitalize lowers the rest; WikiHow's [title]/[header]/[step] markers go.
    expect(
      t.doc({
        activity_label: 'Home',
        ctx_a: 'Clean it. [title] Rinse.',
        ctx_b: 'then DRY it',
        endings: ['x'],
        label: '0',
      }),
    ).toMatchObject({ context: 'Home: Clean it.. Rinse. Then dry it' });
    // One left-to-right replace pass, as Python's: three spaces become two, not one.
    expect(preprocessHellaswag(' [header] Step one [step]  two  ')).toBe(' Step one  two');
  });

  it('arc: "Question: …\\nAnswer:", gold = the index of answerKey in choices.label (letters or digits)', () => {
    const row = (answerKey: string, label: string[]) => ({
      question: 'Which gas do plants take in?',
      choices: { text: ['oxygen', 'carbon dioxide', 'helium'], label },
      answerKey,
    });
    for (const t of [BUILTIN_TASKS.arc_easy, BUILTIN_TASKS.arc_challenge]) {
      expect(t.doc(row('B', ['A', 'B', 'C']))).toEqual({
        kind: 'choices',
        context: 'Question: Which gas do plants take in?\nAnswer:',
        choices: ['oxygen', 'carbon dioxide', 'helium'],
        gold: 1,
      });
      expect(t.doc(row('3', ['1', '2', '3']))).toMatchObject({ gold: 2 });
      expect(() => t.doc(row('D', ['A', 'B', 'C']))).toThrow(
        new TaskRowError('answerKey "D" is not one of choices.label A, B, C'),
      );
    }
    expect(BUILTIN_TASKS.arc_challenge.data).toMatchObject({
      id: 'allenai/ai2_arc',
      config: 'ARC-Challenge',
    });
  });

  it('piqa: "Question: {goal}\\nAnswer:" over [sol1, sol2]', () => {
    const doc = BUILTIN_TASKS.piqa.doc({
      goal: 'Dry a shirt',
      sol1: 'Hang it.',
      sol2: 'Soak it.',
      label: 0n,
    });
    expect(doc).toEqual({
      kind: 'choices',
      context: 'Question: Dry a shirt\nAnswer:',
      choices: ['Hang it.', 'Soak it.'],
      gold: 0,
    });
    expect(() => BUILTIN_TASKS.piqa.doc({ goal: 'g', sol1: 'a', sol2: 'b', label: 2 })).toThrow(
      new TaskRowError('label 2 is outside the 2 choices (0-based)'),
    );
  });

  it('winogrande: each option fills the blank and ends the context; the rest of the sentence is the shared continuation', () => {
    const t = BUILTIN_TASKS.winogrande;
    const doc = t.doc({
      sentence: 'Sarah was a much better surgeon than Maria so _ always got the harder cases.',
      option1: 'Sarah',
      option2: 'Maria',
      answer: '1',
    });
    expect(doc).toEqual({
      kind: 'contexts',
      contexts: [
        'Sarah was a much better surgeon than Maria so Sarah',
        'Sarah was a much better surgeon than Maria so Maria',
      ],
      continuation: 'always got the harder cases.',
      gold: 0,
    });
    expect(docRequests(doc, t.targetDelimiter).map((r) => r.continuation)).toEqual([
      ' always got the harder cases.',
      ' always got the harder cases.',
    ]);
    expect(() => t.doc({ sentence: 'no blank', option1: 'a', option2: 'b', answer: '1' })).toThrow(
      new TaskRowError(`'sentence' has no blank "_"`),
    );
  });

  it('lambada_openai: the last space-separated word, with its space, is the continuation; no delimiter added', () => {
    const t = BUILTIN_TASKS.lambada_openai;
    const doc = t.doc({ text: 'he lifted the cup and drank the tea' });
    expect(docRequests(doc, t.targetDelimiter)).toEqual([
      { context: 'he lifted the cup and drank the', continuation: ' tea' },
    ]);
    expect(t.metrics).toEqual(['perplexity', 'acc']);
  });

  it('names a field of the wrong type', () => {
    expect(() =>
      BUILTIN_TASKS.hellaswag.doc({ activity_label: 'a', ctx_a: 'b', ctx_b: 'c', endings: 'x', label: '0' }),
    ).toThrow(new TaskRowError(`'endings' is "x", expected a list of texts`));
    expect(() =>
      BUILTIN_TASKS.hellaswag.doc({
        activity_label: 'a',
        ctx_a: 'b',
        ctx_b: 'c',
        endings: ['x'],
        label: 'zero',
      }),
    ).toThrow(new TaskRowError(`'label' is "zero", expected an integer`));
  });
});

describe('a recipe task', () => {
  const data = { kind: 'local', path: '/x.parquet' } as const;

  it('renders {{column}} and {{struct.field}}, reads only the columns it names', () => {
    const t = customTask({
      name: 'mine',
      data,
      context: 'Q: {{q}} ({{meta.source}}, #{{ id }})\nA:',
      choices: 'options',
      label: 'answer',
      targetDelimiter: ' ',
    });
    expect(t.columns).toEqual(['q', 'meta', 'id', 'options', 'answer']);
    expect(t.doc({ q: 'why?', meta: { source: 'faq' }, id: 7n, options: ['yes', 'no'], answer: 1n })).toEqual(
      {
        kind: 'choices',
        context: 'Q: why? (faq, #7)\nA:',
        choices: ['yes', 'no'],
        gold: 1,
      },
    );
  });

  it('takes choices from several columns and the gold as an index, a digit string or the right choice’s text', () => {
    const t = customTask({
      name: 'm',
      data,
      context: '{{q}}',
      choices: ['a', 'b'],
      label: 'gold',
      targetDelimiter: ' ',
    });
    const row = (gold: unknown) => ({ q: 'q', a: 'left', b: 'right', gold }) as never;
    expect(t.doc(row(1))).toMatchObject({ choices: ['left', 'right'], gold: 1 });
    expect(t.doc(row('0'))).toMatchObject({ gold: 0 });
    expect(t.doc(row('right'))).toMatchObject({ gold: 1 });
    expect(() => t.doc(row('up'))).toThrow(
      new TaskRowError(`'gold' is "up", which is neither an index nor one of the choices`),
    );
    expect(() => t.doc(row(5))).toThrow(new TaskRowError(`'gold' 5 is outside the 2 choices (0-based)`));
    expect(() => renderTemplate('{{missing}}', {})).toThrow(
      new TaskRowError(`'missing' is nothing, expected text or a number`),
    );
  });
});
