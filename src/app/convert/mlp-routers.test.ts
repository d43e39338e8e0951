/** The MLP router training's progress line: a resumed run counts from the step it resumed at. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRecipe } from '../../recipe/load.js';
import { Rng } from '../../util/random.js';
import { createProgress } from '../shared/progress.js';
import { trainMlpRouters } from './mlp-routers.js';

const root = mkdtempSync(join(tmpdir(), 'moefy-train-stage-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function lines(): { stream: NodeJS.WriteStream; written: string[] } {
  const written: string[] = [];
  const stream = { write: (s: string) => written.push(...s.trimEnd().split('\n')), isTTY: false };
  return { stream: stream as unknown as NodeJS.WriteStream, written };
}

describe('trainMlpRouters progress', () => {
  it('ends at the step reached, also when the run resumes from a finished checkpoint', async () => {
    const recipe = await loadRecipe(undefined);
    const steps = 30;
    const train = { ...recipe.router.train, steps, batch: 64, patience: 1000 };
    const r = { ...recipe, router: { ...recipe.router, hidden: 8, train } };
    const rng = new Rng(3);
    const n = 400;
    const rows = [0, 1].map(() => ({
      rows: n,
      x: Float32Array.from({ length: n * 4 }, () => rng.normal()),
      z: Float32Array.from({ length: n * 2 }, () => rng.normal()),
    }));
    const targets = rows.map(() => ({ rows: n, z: new Float32Array(0), e: new Float32Array(n * 3) }));
    const checkpointDir = join(root, 'ck');
    const run = async () => {
      const { stream, written } = lines();
      const stage = createProgress({ stream, interactive: false }).stage('router');
      const dir = mkdtempSync(join(root, 'stage-'));
      await trainMlpRouters({
        recipe: r,
        device: 'cpu',
        rows,
        targets,
        sizes: [4, 8, 16],
        stage,
        dir,
        checkpointDir,
      });
      return written.filter((l) => l.startsWith('[router] steps'));
    };
    const first = await run();
    expect(first.at(-1)).toMatch(new RegExp(`^\\[router\\] steps: ${steps}/${steps} in `));
    const resumed = await run(); // the checkpoint at the last step: nothing left to train
    expect(resumed.every((l) => l.includes(` ${steps}/${steps} `))).toBe(true);
    expect(resumed.at(-1)).toMatch(new RegExp(`^\\[router\\] steps: ${steps}/${steps} in `));
  });
});
