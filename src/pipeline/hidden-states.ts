/**
 * Hidden states in flight between the parts of a layer-sequential run: one float32 [batch, seq, hidden] buffer per
 * batch of token windows. They stay in memory while the whole set fits the memory budget; past it, every batch lives
 * in its own file under the run's scratch dir and is read back when its turn comes, so RAM holds one batch at a time
 * whatever the token count. Snapshots (one file, batches end to end) let an interrupted run resume at a layer.
 */
import { closeSync, openSync, readFileSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeAll } from '../onnx/external-data.js';
import { InternalError } from '../util/errors.js';

export interface HiddenLayout {
  /** Rows (token windows) of each batch, in order. */
  readonly batches: readonly number[];
  readonly seqLen: number;
  readonly hidden: number;
}

export class HiddenStates {
  private readonly memory: (Float32Array | undefined)[];
  /** Spilled to disk: one file per batch. */
  readonly spilled: boolean;

  /**
   * `budgetBytes`: the most these buffers may hold in RAM; above it they spill to `dir`, which must exist and be
   * the run's own (its files are removed with `release`).
   */
  constructor(
    readonly layout: HiddenLayout,
    private readonly place: { readonly dir: string; readonly name: string; readonly budgetBytes: number },
  ) {
    this.memory = layout.batches.map(() => undefined);
    this.spilled = totalBytes(layout) > place.budgetBytes;
  }

  /** Bytes the whole set holds (in RAM or on disk). */
  get bytes(): number {
    return totalBytes(this.layout);
  }

  /** float32 [rows, seq, hidden] of batch `index`. */
  get(index: number): Float32Array {
    if (!this.spilled) {
      const data = this.memory[index];
      if (!data) throw new InternalError(`hidden states: batch ${index} was never set`);
      return data;
    }
    const bytes = readFileSync(this.file(index));
    return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  }

  set(index: number, data: Float32Array): void {
    const expected = this.batchValues(index);
    if (data.length !== expected) {
      throw new InternalError(
        `hidden states: batch ${index} has ${data.length} values, expected ${expected}`,
      );
    }
    if (!this.spilled) this.memory[index] = data;
    else writeFileSync(this.file(index), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }

  /** Writes every batch, end to end, to `path` (atomically: temp file, then rename; no temp left on failure). */
  snapshot(path: string): void {
    const tmp = `${path}.tmp-${process.pid}`;
    try {
      const fd = openSync(tmp, 'w');
      try {
        let at = 0;
        for (let i = 0; i < this.layout.batches.length; i++) {
          const data = this.get(i);
          writeAll(fd, new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
          at += data.byteLength;
        }
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, path);
    } catch (err) {
      // A full disk fails the write: the partial snapshot must not stay beside the run's files.
      rmSync(tmp, { force: true });
      throw err;
    }
  }

  /** Fills every batch from a snapshot written by `snapshot` with the same layout. */
  restore(path: string): void {
    const fd = openSync(path, 'r');
    try {
      let at = 0;
      for (let i = 0; i < this.layout.batches.length; i++) {
        const data = new Float32Array(this.batchValues(i));
        const bytes = new Uint8Array(data.buffer);
        let done = 0;
        while (done < bytes.length) {
          const n = readSync(fd, bytes, done, bytes.length - done, at + done);
          if (n === 0) throw new InternalError(`${path}: hidden-state snapshot ends early at batch ${i}`);
          done += n;
        }
        at += bytes.length;
        this.set(i, data);
      }
    } finally {
      closeSync(fd);
    }
  }

  /** Drops the buffers (and their files). */
  release(): void {
    this.memory.fill(undefined);
    if (this.spilled) {
      for (let i = 0; i < this.layout.batches.length; i++) rmSync(this.file(i), { force: true });
    }
  }

  private batchValues(index: number): number {
    const rows = this.layout.batches[index];
    if (rows === undefined) throw new InternalError(`hidden states: no batch ${index}`);
    return rows * this.layout.seqLen * this.layout.hidden;
  }

  private file(index: number): string {
    return join(this.place.dir, `${this.place.name}.${index}.f32`);
  }
}

function totalBytes(l: HiddenLayout): number {
  return l.batches.reduce((n, rows) => n + rows, 0) * l.seqLen * l.hidden * 4;
}
