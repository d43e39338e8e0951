import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireLock } from './file-lock.js';

const root = mkdtempSync(join(tmpdir(), 'moefy-lock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('acquireLock', () => {
  it('creates the lock with our pid and removes it on release', async () => {
    const path = join(root, 'a.lock');
    const release = await acquireLock(path);
    expect(readFileSync(path, 'utf8')).toBe(`${process.pid}\n`);
    release();
    expect(existsSync(path)).toBe(false);
  });

  it('waits while a live process holds the lock', async () => {
    const path = join(root, 'b.lock');
    const first = await acquireLock(path);
    let acquired = false;
    const second = acquireLock(path).then((release) => {
      acquired = true;
      return release;
    });
    await sleep(300);
    expect(acquired).toBe(false);
    first();
    (await second)();
    expect(acquired).toBe(true);
  });

  it('takes over a lock whose owner is gone (killed without cleanup)', async () => {
    const path = join(root, 'c.lock');
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid;
    writeFileSync(path, `${deadPid}\n`);
    const release = await acquireLock(path);
    expect(readFileSync(path, 'utf8')).toBe(`${process.pid}\n`);
    release();
  });
});
