/** Writes the report files of an output directory: report.json, report.md, curve.svg and (when possible) curve.png. */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OutputError } from '../util/errors.js';
import { renderChartPng } from './chart-png.js';
import { renderChartSvg } from './chart-svg.js';
import { reportToJson } from './json.js';
import { reportToMarkdown } from './markdown.js';
import type { Report } from './types.js';

export interface WriteReportOptions {
  /** Where to say that the PNG was skipped; defaults to stderr. */
  log?: (line: string) => void;
}

export interface WrittenReport {
  /** Absolute or dir-relative paths as `join(dir, name)`, in write order. */
  files: string[];
}

/** Write then rename, so a reader never sees a half-written file under the final name. */
async function writeAtomic(path: string, data: string | Buffer): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    throw new OutputError(`${path}: cannot write (${(err as Error).message})`);
  }
}

export async function writeReport(
  dir: string,
  report: Report,
  options: WriteReportOptions = {},
): Promise<WrittenReport> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  await mkdir(dir, { recursive: true }).catch((err: Error) => {
    throw new OutputError(`${dir}: cannot create the report directory (${err.message})`);
  });
  const svg = await renderChartSvg(report);
  const outputs: [string, string | Buffer][] = [
    ['report.json', reportToJson(report)],
    ['report.md', reportToMarkdown(report)],
    ['curve.svg', svg],
  ];
  const png = await renderChartPng(svg);
  if (png.ok) outputs.push(['curve.png', png.png]);
  else log(`curve.png skipped: ${png.reason}`);
  const files: string[] = [];
  for (const [name, data] of outputs) {
    const path = join(dir, name);
    await writeAtomic(path, data);
    files.push(path);
  }
  return { files };
}
