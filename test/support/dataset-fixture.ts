/**
 * Small Hub-shaped dataset repos for tests, written with hyparquet-writer: the kjv-llama calibration and eval texts
 * as a `text` column split over two Parquet files of several row groups each, laid out as a dataset repo with a
 * card declaring its config (`wiki/`), or as the Hub's auto-converted Parquet branch (`convert/`); and a typed table
 * (int64, list, struct, nulls) for the row reader.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { fixtureDir } from './golden.js';

export const CONFIG = 'kjv-mini';

/** Lines of a kjv-llama text file. */
export function kjvLines(file: 'calibration.txt' | 'eval.txt'): string[] {
  return readFileSync(join(fixtureDir('kjv-llama'), file), 'utf8')
    .split('\n')
    .filter(Boolean);
}

export function writeTextParquet(path: string, texts: readonly (string | null)[], rowGroupSize = 100): void {
  mkdirSync(join(path, '..'), { recursive: true });
  parquetWriteFile({
    filename: path,
    columnData: [{ name: 'text', data: [...texts], type: 'STRING' }],
    rowGroupSize,
  });
}

/** `dir` as a dataset repo: a card with `configs`, train from calibration.txt, test from eval.txt, two files each. */
export function writeWikiRepo(dir: string): void {
  const card = [
    '---',
    'configs:',
    `- config_name: ${CONFIG}`,
    '  data_files:',
    '  - split: train',
    `    path: ${CONFIG}/train-*`,
    '  - split: test',
    `    path: ${CONFIG}/test-*`,
    '---',
    '# kjv-mini',
    '',
  ].join('\n');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'README.md'), card);
  for (const [split, file] of [
    ['train', 'calibration.txt'],
    ['test', 'eval.txt'],
  ] as const) {
    const lines = kjvLines(file);
    const half = Math.ceil(lines.length / 2);
    writeTextParquet(join(dir, CONFIG, `${split}-00000-of-00002.parquet`), lines.slice(0, half));
    writeTextParquet(join(dir, CONFIG, `${split}-00001-of-00002.parquet`), lines.slice(half));
  }
}

/** `dir` as `refs/convert/parquet`: `{config}/{split}/0000.parquet`. */
export function writeConvertedBranch(dir: string, config = 'default'): void {
  writeTextParquet(join(dir, config, 'train', '0000.parquet'), kjvLines('calibration.txt').slice(0, 50));
  writeTextParquet(join(dir, config, 'partial-test', '0000.parquet'), kjvLines('eval.txt').slice(0, 50));
}

/** A table with typed columns across three row groups. */
export function writeTypedParquet(path: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  const n = 7;
  parquetWriteFile({
    filename: path,
    rowGroupSize: 3,
    columnData: [
      { name: 'text', data: Array.from({ length: n }, (_, i) => (i === 4 ? null : `row ${i}`)) },
      { name: 'label', data: Array.from({ length: n }, (_, i) => BigInt(i) * 1_000_000_000_000n) },
      {
        name: 'choices',
        data: Array.from({ length: n }, (_, i) => Array.from({ length: i % 3 }, (_, k) => `c${k}`)),
      },
      { name: 'meta', data: Array.from({ length: n }, (_, i) => ({ source: `s${i}`, n: i })) },
    ],
    schema: [
      { name: 'root', num_children: 4 },
      { name: 'text', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      { name: 'label', type: 'INT64', repetition_type: 'REQUIRED' },
      { name: 'choices', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
      { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
      { name: 'element', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      { name: 'meta', repetition_type: 'OPTIONAL', num_children: 2 },
      { name: 'source', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      { name: 'n', type: 'INT32', repetition_type: 'OPTIONAL' },
    ],
  });
}
