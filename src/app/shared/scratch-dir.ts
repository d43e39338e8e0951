/**
 * A private scratch dir under the stage cache's root for work files no result depends on (part graphs of a
 * layer-sequential run, spilled hidden states): removed when the work ends, and on SIGINT/SIGTERM.
 */
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { registerTemp } from '../../util/cleanup.js';
import { makeDirs } from '../../util/make-dirs.js';

export async function withScratchDir<T>(
  root: string,
  name: string,
  work: (dir: string) => Promise<T>,
): Promise<T> {
  const parent = join(root, 'scratch');
  makeDirs(parent);
  // Synchronous create + register: no interrupt can land between them.
  const dir = mkdtempSync(join(parent, `${name}-`));
  const unregister = registerTemp(dir);
  try {
    return await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
    unregister();
  }
}
