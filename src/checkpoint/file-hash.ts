/**
 * sha256 of files (manifests and locks record the checkpoint's), read in bounded chunks so multi-GB shards never
 * sit in memory. Hashing a checkpoint costs about as much as copying it, so `hashInBackground` starts it on a
 * worker thread while the main thread converts; `sha256File` then answers from that work. Results are remembered
 * per path, size and mtime for the life of the process (convert's cache keys and manifest ask twice).
 */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';

/** Large reads: 64 KiB stream chunks left the hash waiting on the thread pool as long as it spent hashing. */
const HASH_CHUNK = 8 << 20;

const known = new Map<string, Promise<string>>();

export async function sha256File(path: string): Promise<string> {
  const key = fileKey(path);
  const found = key && known.get(key);
  if (found) return found;
  const digest = hashHere(path);
  remember(key, digest);
  return digest;
}

/** Starts hashing `paths` on a worker thread; later `sha256File` calls for them wait on it. */
export function hashInBackground(paths: readonly string[]): void {
  const todo = paths.filter((p) => {
    const key = fileKey(p);
    return key !== undefined && !known.has(key);
  });
  if (todo.length === 0) return;
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { paths: todo, chunk: HASH_CHUNK } });
  worker.unref(); // a conversion that fails early must not wait for the hash to finish
  const results = new Map<string, { resolve: (h: string | Promise<string>) => void }>();
  for (const p of todo) {
    const digest = new Promise<string>((resolve) => results.set(p, { resolve }));
    remember(fileKey(p), digest);
  }
  worker.on('message', (m: { path: string; sha256?: string; error?: string }) => {
    const r = results.get(m.path);
    if (m.sha256 !== undefined) r?.resolve(m.sha256);
    // The worker's failure is retried here, where the error surfaces as it would have without the worker.
    else r?.resolve(hashHere(m.path));
  });
  worker.on('error', () => {
    for (const [p, r] of results) r.resolve(hashHere(p));
  });
}

async function hashHere(path: string): Promise<string> {
  const hash = createHash('sha256');
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const buffer = Buffer.allocUnsafe(Math.max(1, Math.min(HASH_CHUNK, size)));
    for (let at = 0; ;) {
      const { bytesRead } = await fh.read(buffer, 0, buffer.length, at);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      at += bytesRead;
    }
  } finally {
    await fh.close();
  }
  return hash.digest('hex');
}

/** The same file unchanged: path, size and modification time (undefined when it cannot be read). */
function fileKey(path: string): string | undefined {
  try {
    const s = statSync(path, { bigint: true });
    return `${path}\0${s.ino}\0${s.size}\0${s.mtimeNs}`;
  } catch {
    return undefined;
  }
}

function remember(key: string | undefined, digest: Promise<string>): void {
  if (key === undefined) return;
  known.set(key, digest);
  digest.catch(() => known.delete(key)); // a failed hash is not remembered (and not an unhandled rejection)
}

/** The worker (CommonJS, evaluated from this string so it runs the same from src and dist). */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const buffer = Buffer.allocUnsafe(workerData.chunk);
for (const path of workerData.paths) {
  try {
    const hash = createHash('sha256');
    const fd = fs.openSync(path, 'r');
    try {
      for (let at = 0, n; (n = fs.readSync(fd, buffer, 0, buffer.length, at)) > 0; at += n) {
        hash.update(buffer.subarray(0, n));
      }
    } finally {
      fs.closeSync(fd);
    }
    parentPort.postMessage({ path, sha256: hash.digest('hex') });
  } catch (err) {
    parentPort.postMessage({ path, error: String(err) });
  }
}
`;
