/** The import-direction rules of DESIGN.md §6 (.dependency-cruiser.cjs) hold for the whole source tree. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;

describe('layer boundaries', () => {
  it('dependency-cruiser finds no violation in src/', () => {
    const r = spawnSync(
      process.execPath,
      [
        `${root}node_modules/dependency-cruiser/bin/dependency-cruise.mjs`,
        'src',
        '--config',
        '.dependency-cruiser.cjs',
      ],
      { cwd: root, encoding: 'utf8' },
    );
    expect(r.stdout + r.stderr).toMatch(/no dependency violations found/);
    expect(r.status).toBe(0);
  });
});
