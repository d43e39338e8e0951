/**
 * Progress for long work. On a TTY: an ora spinner per stage and cli-progress bars with ETA. Elsewhere (CI, pipes,
 * `--quiet`): plain `[stage] message` lines on stderr, at most one per bar per 10% or 10 s, so logs stay short and
 * parseable. stdout is left to the command's own output (tables, --json).
 */
import cliProgress from 'cli-progress';
import ora, { type Ora } from 'ora';

export interface Bar {
  tick(delta?: number, info?: string): void;
  done(info?: string): void;
}

export interface Stage {
  bar(label: string, total: number, unit?: string): Bar;
  note(message: string): void;
  succeed(summary?: string): void;
  fail(summary?: string): void;
}

export interface Progress {
  stage(name: string, text?: string): Stage;
  /** A line that is always printed (warnings, summaries). */
  info(message: string): void;
  /**
   * A labelled line that is not a stage (no spinner, no "done in"): e.g. the plan's estimate before the stages.
   * Silent under `--quiet` like stage lines, so CI gates comparing stderr stay quiet.
   */
  remark(label: string, message: string): void;
}

export interface ProgressOptions {
  stream?: NodeJS.WriteStream;
  /** Force the mode; default: interactive when the stream is a TTY and CI is not set. */
  interactive?: boolean;
  quiet?: boolean;
}

export function createProgress(opts: ProgressOptions = {}): Progress {
  const stream = opts.stream ?? process.stderr;
  const interactive = opts.interactive ?? (Boolean(stream.isTTY) && !process.env.CI);
  if (opts.quiet) return silentProgress(stream);
  return interactive ? ttyProgress(stream) : lineProgress(stream);
}

function seconds(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(1)}s`;
}

function lineProgress(stream: NodeJS.WriteStream): Progress {
  const write = (line: string) => stream.write(`${line}\n`);
  return {
    info: write,
    remark: (label, m) => write(`[${label}] ${m}`),
    stage(name, text) {
      const started = performance.now();
      if (text) write(`[${name}] ${text}`);
      return {
        note: (m) => write(`[${name}] ${m}`),
        succeed: (s) => write(`[${name}] done in ${seconds(started)}${s ? `: ${s}` : ''}`),
        fail: (s) => write(`[${name}] failed after ${seconds(started)}${s ? `: ${s}` : ''}`),
        bar: (label, total, unit = '') => lineBar({ write, prefix: `[${name}] ${label}`, total, unit }),
      };
    },
  };
}

function lineBar(o: { write: (l: string) => void; prefix: string; total: number; unit: string }): Bar {
  let value = 0;
  let lastPct = -1;
  let lastAt = performance.now();
  const started = lastAt;
  return {
    tick(delta = 1, info) {
      value += delta;
      const pct = o.total > 0 ? Math.floor((100 * value) / o.total / 10) * 10 : 100;
      const now = performance.now();
      if (pct > lastPct || now - lastAt > 10_000) {
        lastPct = pct;
        lastAt = now;
        o.write(`${o.prefix}: ${value}/${o.total}${o.unit} (${pct}%)${info ? ` ${info}` : ''}`);
      }
    },
    done(info) {
      o.write(`${o.prefix}: ${value}/${o.total}${o.unit} in ${seconds(started)}${info ? ` ${info}` : ''}`);
    },
  };
}

function ttyProgress(stream: NodeJS.WriteStream): Progress {
  return {
    info: (m) => stream.write(`${m}\n`),
    remark: (label, m) => {
      ora({ stream, discardStdin: false }).info(`${label}: ${m}`);
    },
    stage(name, text) {
      const started = performance.now();
      const spinner: Ora = ora({
        text: `${name}${text ? `: ${text}` : ''}`,
        stream,
        discardStdin: false,
      }).start();
      return {
        note: (m) => {
          spinner.text = `${name}: ${m}`;
        },
        succeed: (s) => spinner.succeed(`${name} (${seconds(started)})${s ? `: ${s}` : ''}`),
        fail: (s) => spinner.fail(`${name}${s ? `: ${s}` : ''}`),
        bar: (label, total, unit = '') => ttyBar({ spinner, stream, label: `${name} ${label}`, total, unit }),
      };
    },
  };
}

function ttyBar(o: {
  spinner: Ora;
  stream: NodeJS.WriteStream;
  label: string;
  total: number;
  unit: string;
}): Bar {
  o.spinner.stop();
  const bar = new cliProgress.SingleBar(
    {
      stream: o.stream,
      format: `${o.label} [{bar}] {percentage}% {value}/{total}${o.unit} | ETA {eta_formatted} {info}`,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(o.total, 0, { info: '' });
  return {
    tick: (delta = 1, info = '') => bar.increment(delta, { info }),
    done: () => {
      bar.stop();
      o.spinner.start();
    },
  };
}

function silentProgress(stream: NodeJS.WriteStream): Progress {
  const stage: Stage = {
    note: () => {},
    succeed: () => {},
    fail: () => {},
    bar: () => ({ tick: () => {}, done: () => {} }),
  };
  return { info: (m) => stream.write(`${m}\n`), remark: () => {}, stage: () => stage };
}
