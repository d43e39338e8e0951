/** Hub download events → one progress bar per file (TTY) or a few lines per file (CI), under a stage. */
import type { DownloadEvent } from '../../checkpoint/resolve.js';
import type { Bar, Stage } from './progress.js';

export function downloadProgress(stage: Stage): (e: DownloadEvent) => void {
  const bars = new Map<string, { bar: Bar; seen: number }>();
  return (e) => {
    let entry = bars.get(e.file);
    if (!entry) {
      entry = { bar: stage.bar(`download ${e.file}`, e.total, ' B'), seen: 0 };
      bars.set(e.file, entry);
    }
    entry.bar.tick(Math.max(0, e.bytes - entry.seen));
    entry.seen = Math.max(entry.seen, e.bytes);
    if (e.done) entry.bar.done();
  };
}
