/**
 * No dead code (issue #13): knip finds no unused file, export, type or dependency — once counting tests as users
 * (default mode), once counting only what `moefy` and the repo scripts ship (production mode, where an export that
 * only tests use must say so with `@internal`). knip.json names the entry points.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;

function knip(...args: string[]) {
  return spawnSync(process.execPath, [`${root}node_modules/knip/bin/knip.js`, '--no-progress', ...args], {
    cwd: root,
    encoding: 'utf8',
  });
}

describe('unused code', () => {
  it.each([[[]], [['--production']]])('knip %j finds nothing', (args) => {
    const r = knip(...args);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
