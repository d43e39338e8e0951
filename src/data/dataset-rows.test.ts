/** The row source on real Parquet (typed columns, several row groups, two files) and JSON Lines files. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../../test/support/hub-cache-check.js';
import { kjvLines, writeTextParquet, writeTypedParquet } from '../../test/support/dataset-fixture.js';
import { InputError } from '../util/errors.js';
import { jsonlFileRows } from './dataset-jsonl.js';
import { parquetFileRows } from './dataset-parquet.js';
import { type Row, type RowFile, rowSource } from './dataset-rows.js';
import { rowText } from './dataset-text.js';

afterAll(removeTempDirs);

const local = (path: string): RowFile => ({ label: path, open: async () => path });

async function all(rows: AsyncIterable<Row>): Promise<Row[]> {
  const out: Row[] = [];
  for await (const r of rows) out.push(r);
  return out;
}

describe('parquet rows', () => {
  it('reads typed values (int64 as bigint, lists, structs, nulls) row group by row group, in order', async () => {
    const path = join(await tempDir(), 'typed.parquet');
    writeTypedParquet(path);
    const rows = await all(parquetFileRows(path, path));
    expect(rows).toHaveLength(7);
    expect(rows[2]).toEqual({
      text: 'row 2',
      label: 2_000_000_000_000n,
      choices: ['c0', 'c1'],
      meta: { source: 's2', n: 2 },
    });
    expect(rows[4]!.text).toBeNull();
    expect(rows.map((r) => r.meta)).toEqual(Array.from({ length: 7 }, (_, i) => ({ source: `s${i}`, n: i })));
    expect(await all(parquetFileRows(path, path, ['choices']))).toEqual(
      rows.map((r) => ({ choices: r.choices })),
    );
  });

  it('names a missing column and a damaged file', async () => {
    const dir = await tempDir();
    const path = join(dir, 'typed.parquet');
    writeTypedParquet(path);
    const missing = all(parquetFileRows(path, 'typed.parquet', ['question']));
    await expect(missing).rejects.toThrow(InputError);
    await expect(all(parquetFileRows(path, 'typed.parquet', ['question']))).rejects.toThrow(
      "typed.parquet: no column 'question'; columns: text, label, choices, meta",
    );
    const broken = join(dir, 'broken.parquet');
    writeFileSync(broken, 'PAR1 this is not parquet PAR1');
    await expect(all(parquetFileRows(broken, 'broken.parquet'))).rejects.toThrow(
      /^broken\.parquet: not a readable Parquet file \(/,
    );
  });

  it('a source reads files in order, stops at the limit and never opens a file it did not reach', async () => {
    const dir = await tempDir();
    const lines = kjvLines('calibration.txt');
    writeTextParquet(join(dir, 'a.parquet'), lines.slice(0, 250), 100);
    writeTextParquet(join(dir, 'b.parquet'), lines.slice(250, 300), 100);
    const opened: string[] = [];
    const files = ['a.parquet', 'b.parquet'].map((name) => ({
      label: name,
      open: async () => (opened.push(name), join(dir, name)),
    }));
    const source = rowSource('kjv', files, () => parquetFileRows);
    const first = await all(source.rows({ limit: 120 }));
    expect(first.map((r) => r.text)).toEqual(lines.slice(0, 120));
    expect(opened).toEqual(['a.parquet']);
    const every = await all(source.rows({ columns: ['text'] }));
    expect(every.map((r) => r.text)).toEqual(lines.slice(0, 300));
  });

  it('text extraction joins a column with the separator and refuses non-text values', async () => {
    const dir = await tempDir();
    const path = join(dir, 'typed.parquet');
    writeTypedParquet(path);
    const source = rowSource('typed', [local(path)], () => parquetFileRows);
    const text = (
      await all(rowText(source, { column: 'text', separator: '\n\n' }) as AsyncIterable<never>)
    ).join('');
    expect(text).toBe(['row 0', 'row 1', 'row 2', 'row 3', 'row 5', 'row 6'].map((t) => `${t}\n\n`).join(''));
    const labels = all(rowText(source, { column: 'label', separator: '\n' }) as AsyncIterable<never>);
    await expect(labels).rejects.toThrow("typed: row 1: column 'label' is not text (bigint)");
  });
});

describe('jsonl rows', () => {
  it('streams objects, selects fields and names a bad line', async () => {
    const path = join(await tempDir(), 'd.jsonl');
    writeFileSync(path, '{"text": "a", "n": 1}\n\n{"text": "b", "n": [1, 2]}\n[1]\n');
    const rows = rowSource('d.jsonl', [local(path)], () => jsonlFileRows);
    expect(await all(rows.rows({ limit: 2 }))).toEqual([
      { text: 'a', n: 1 },
      { text: 'b', n: [1, 2] },
    ]);
    await expect(all(rows.rows())).rejects.toThrow(`${path}:4: expected a JSON object per line`);
    await expect(all(rows.rows({ columns: ['question'] }))).rejects.toThrow(
      `${path}:1: no field 'question'; fields: text, n`,
    );
  });
});
