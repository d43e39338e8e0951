import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { withAtomicDir } from './atomic-dir.js';
import { OutputError } from './errors.js';

const root = mkdtempSync(join(tmpdir(), 'moefy-atomic-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('withAtomicDir', () => {
  it('renames the finished temp dir into place and leaves nothing else', async () => {
    const target = join(root, 'a', 'out');
    await withAtomicDir(target, {}, async (tmp) => writeFileSync(join(tmp, 'f'), 'x'));
    expect(readFileSync(join(target, 'f'), 'utf8')).toBe('x');
    expect(readdirSync(join(root, 'a'))).toEqual(['out']);
  });

  it('gives the output directory the mode a plain mkdir would (the umask decides), not mkdtemp’s 0700', async () => {
    const mode = (dir: string) => statSync(dir).mode & 0o777;
    const previous = process.umask(0o022);
    try {
      const plain = join(root, 'plain');
      mkdirSync(plain);
      const target = join(root, 'umask', 'out');
      await withAtomicDir(target, {}, async () => undefined);
      expect(mode(target)).toBe(mode(plain));
      expect(mode(target)).toBe(0o755);
      process.umask(0o077);
      const strict = join(root, 'umask', 'strict');
      await withAtomicDir(strict, {}, async () => undefined);
      expect(mode(strict)).toBe(0o700);
    } finally {
      process.umask(previous);
    }
  });

  it('removes the temp dir when the body fails and keeps the old target', async () => {
    const target = join(root, 'b');
    mkdirSync(target);
    writeFileSync(join(target, 'old'), 'keep');
    const failing = withAtomicDir(target, { force: true }, async () => {
      throw new Error('boom');
    });
    await expect(failing).rejects.toThrow('boom');
    expect(readdirSync(root).filter((f) => f.startsWith('.b.tmp-'))).toEqual([]);
    expect(readFileSync(join(target, 'old'), 'utf8')).toBe('keep');
  });

  it('refuses an existing target without force, replaces it with force', async () => {
    const target = join(root, 'c');
    mkdirSync(target);
    writeFileSync(join(target, 'old'), '1');
    const refused = withAtomicDir(target, {}, async () => undefined);
    await expect(refused).rejects.toThrow(OutputError);
    await expect(withAtomicDir(target, {}, async () => undefined)).rejects.toThrow(
      `${target}: already exists; pass --force to replace it`,
    );
    await withAtomicDir(target, { force: true }, async (tmp) => writeFileSync(join(tmp, 'new'), '2'));
    expect(readdirSync(target)).toEqual(['new']);
    expect(existsSync(`${target}.old`)).toBe(false);
  });
});
