/**
 * Tiny copies of the six built-in tasks' Hub datasets for tests, laid out as those repos are and with their
 * columns and types, filled from kjv-llama's held-out verses so the embedded model scores above chance:
 * - Rowan/hellaswag: a script dataset; rows only on `refs/convert/parquet` (default/validation/0000.parquet);
 *   label is a string, endings a list;
 * - allenai/ai2_arc: ARC-Easy/ and ARC-Challenge/ test Parquet, declared in the card; choices a struct of lists;
 * - baber/piqa: data/validation Parquet, label int64;
 * - allenai/winogrande: winogrande_xl/validation Parquet, answer "1"/"2";
 * - EleutherAI/lambada_openai: JSON Lines, config `default` declared in the card.
 * A verse is cut at a clause boundary near its middle; the true rest competes with another verse's rest and with
 * itself scrambled.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { Rng, shuffle } from '../../src/util/random.js';
import { kjvLines } from './dataset-fixture.js';
import type { FakeRepo } from './fake-hub.js';

const CONVERT = 'refs/convert/parquet';

interface Cut {
  head: string;
  rest: string;
}

/** Verses cut after ", " / "; " / ": " between 30% and 70% of their length. */
export function verseCuts(): Cut[] {
  return kjvLines('eval.txt').flatMap((verse) => {
    const m = [...verse.matchAll(/[,;:] /g)].find(
      (x) => x.index! > verse.length * 0.3 && x.index! < verse.length * 0.7,
    );
    return m ? [{ head: verse.slice(0, m.index! + 1), rest: verse.slice(m.index! + 2) }] : [];
  });
}

/** The words of `text` in a seeded order that differs from the original (same characters, broken syntax). */
function scrambled(text: string, rng: Rng): string {
  const words = text.split(' ');
  if (words.length < 2) return text.split('').reverse().join('');
  for (;;) {
    const shuffled = shuffle([...words], rng);
    if (shuffled.join(' ') !== text) return shuffled.join(' ');
  }
}

/**
 * n multiple-choice items of `k` choices: the true rest at a seeded position; distractors are the true rest with its
 * words scrambled (on-topic, broken syntax) and, when `offTopic`, one the rest of a later verse (fluent, harder), so
 * a model that knows the language scores above chance, and less so when its FFN is cut.
 */
function items(
  n: number,
  k: number,
  o: { seed: number; offset?: number; offTopic?: boolean },
): { head: string; choices: string[]; gold: number }[] {
  const offset = o.offset ?? 0;
  const cuts = verseCuts();
  const rng = new Rng(o.seed);
  return Array.from({ length: n }, (_, i) => {
    const c = cuts[offset + i]!;
    const others = Array.from({ length: k - 1 }, (_, j) =>
      j === 0 && o.offTopic ? cuts[(offset + i + 37) % cuts.length]!.rest : scrambled(c.rest, rng),
    );
    const gold = rng.int(k);
    const choices = [...others.slice(0, gold), c.rest, ...others.slice(gold)];
    return { head: c.head, choices, gold };
  });
}

const str = (name: string) =>
  ({ name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' }) as const;
const strList = (name: string) => [
  { name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 } as const,
  { name: 'list', repetition_type: 'REPEATED', num_children: 1 } as const,
  str('element'),
];

function write(path: string, columnData: { name: string; data: unknown[] }[], schema: unknown[]): void {
  mkdirSync(join(path, '..'), { recursive: true });
  parquetWriteFile({
    filename: path,
    columnData: columnData as never,
    schema: [{ name: 'root', num_children: columnData.length }, ...schema] as never,
    rowGroupSize: 16,
  });
}

function card(configs: { name: string; files: Record<string, string> }[]): string {
  const lines = ['---', 'configs:'];
  for (const c of configs) {
    lines.push(`- config_name: ${c.name}`, '  data_files:');
    for (const [split, path] of Object.entries(c.files))
      lines.push(`  - split: ${split}`, `    path: ${path}`);
  }
  return [...lines, '---', ''].join('\n');
}

export function writeHellaswag(root: string, n = 24): FakeRepo {
  const main = join(root, 'hellaswag-main');
  mkdirSync(main, { recursive: true });
  writeFileSync(
    join(main, 'hellaswag.py'),
    '# a loading script: the Hub serves its rows as refs/convert/parquet\n',
  );
  writeFileSync(join(main, 'README.md'), '# hellaswag\n');
  const rows = items(n, 4, { seed: 1 });
  const converted = join(root, 'hellaswag-parquet');
  write(
    join(converted, 'default', 'validation', '0000.parquet'),
    [
      { name: 'ind', data: rows.map((_, i) => BigInt(i)) },
      { name: 'activity_label', data: rows.map(() => 'Scripture') },
      { name: 'ctx_a', data: rows.map((r) => r.head) },
      { name: 'ctx_b', data: rows.map(() => '') },
      { name: 'endings', data: rows.map((r) => r.choices) },
      { name: 'label', data: rows.map((r) => String(r.gold)) },
    ],
    [
      { name: 'ind', type: 'INT64', repetition_type: 'OPTIONAL' },
      str('activity_label'),
      str('ctx_a'),
      str('ctx_b'),
      ...strList('endings'),
      str('label'),
    ],
  );
  return { dir: main, revisions: { [CONVERT]: converted } };
}

export function writeArc(root: string, n = 24): FakeRepo {
  const dir = join(root, 'ai2_arc');
  const configs = [
    { name: 'ARC-Challenge', seed: 2, offset: 100, offTopic: true },
    { name: 'ARC-Easy', seed: 3, offset: 0, offTopic: false },
  ];
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'README.md'),
    card(configs.map((c) => ({ name: c.name, files: { test: `${c.name}/test-*` } }))),
  );
  for (const c of configs) {
    const rows = items(n, 4, c);
    // ai2_arc labels its choices A–D, and some questions 1–4.
    const labels = rows.map((_, i) => (i % 5 === 4 ? ['1', '2', '3', '4'] : ['A', 'B', 'C', 'D']));
    write(
      join(dir, c.name, 'test-00000-of-00001.parquet'),
      [
        { name: 'id', data: rows.map((_, i) => `${c.name}-${i}`) },
        { name: 'question', data: rows.map((r) => `Which words complete the verse "${r.head}"?`) },
        { name: 'choices', data: rows.map((r, i) => ({ text: r.choices, label: labels[i] })) },
        { name: 'answerKey', data: rows.map((r, i) => labels[i]![r.gold]!) },
      ],
      [
        str('id'),
        str('question'),
        { name: 'choices', repetition_type: 'OPTIONAL', num_children: 2 },
        ...strList('text'),
        ...strList('label'),
        str('answerKey'),
      ],
    );
  }
  return { dir };
}

export function writePiqa(root: string, n = 16): FakeRepo {
  const dir = join(root, 'piqa');
  const rows = items(n, 2, { seed: 4, offset: 200 });
  write(
    join(dir, 'data', 'validation-00000-of-00001.parquet'),
    [
      { name: 'goal', data: rows.map((r) => r.head) },
      { name: 'sol1', data: rows.map((r) => r.choices[0]) },
      { name: 'sol2', data: rows.map((r) => r.choices[1]) },
      { name: 'label', data: rows.map((r) => BigInt(r.gold)) },
    ],
    [str('goal'), str('sol1'), str('sol2'), { name: 'label', type: 'INT64', repetition_type: 'OPTIONAL' }],
  );
  return { dir };
}

const NAMES = ['God', 'LORD', 'Jesus', 'Christ', 'Moses', 'David', 'Paul', 'Israel'];

export function writeWinogrande(root: string, n = 16): FakeRepo {
  const dir = join(root, 'winogrande');
  const rng = new Rng(5);
  const rows = kjvLines('eval.txt')
    .flatMap((verse) => {
      const m = [...verse.matchAll(new RegExp(`\\b(${NAMES.join('|')})\\b`, 'g'))].find((x) => x.index! > 10);
      if (!m) return [];
      const other = NAMES[(NAMES.indexOf(m[1]!) + 1 + rng.int(NAMES.length - 1)) % NAMES.length]!;
      const right = rng.int(2);
      const options = right === 0 ? [m[1]!, other] : [other, m[1]!];
      const sentence = verse.slice(0, m.index!) + '_' + verse.slice(m.index! + m[1]!.length);
      return [{ sentence, option1: options[0]!, option2: options[1]!, answer: String(right + 1) }];
    })
    .slice(0, n);
  write(
    join(dir, 'winogrande_xl', 'validation-00000-of-00001.parquet'),
    (['sentence', 'option1', 'option2', 'answer'] as const).map((c) => ({
      name: c,
      data: rows.map((r) => r[c]),
    })),
    ['sentence', 'option1', 'option2', 'answer'].map(str),
  );
  return { dir };
}

export function writeLambada(root: string, n = 16): FakeRepo {
  const dir = join(root, 'lambada_openai');
  mkdirSync(join(dir, 'data'), { recursive: true });
  writeFileSync(
    join(dir, 'README.md'),
    card([{ name: 'default', files: { test: 'data/lambada_test.jsonl' } }]),
  );
  const texts = kjvLines('eval.txt')
    .slice(300, 300 + n)
    .map((v) => v.replace(/[^A-Za-z]+$/, ''));
  writeFileSync(
    join(dir, 'data', 'lambada_test.jsonl'),
    texts.map((text) => `${JSON.stringify({ text })}\n`).join(''),
  );
  return { dir };
}

/** Every built-in task's dataset under its Hub id, for startFakeHub({ datasets }). */
export function writeTaskDatasets(root: string): Record<string, FakeRepo> {
  return {
    'Rowan/hellaswag': writeHellaswag(root),
    'allenai/ai2_arc': writeArc(root),
    'baber/piqa': writePiqa(root),
    'allenai/winogrande': writeWinogrande(root),
    'EleutherAI/lambada_openai': writeLambada(root),
  };
}
