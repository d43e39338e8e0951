/**
 * Runs a command as a child process and measures its wall time and peak RSS: `/usr/bin/time -v` where present
 * (maximum resident set size of the child), else polling /proc/<pid>/status VmHWM every 50 ms.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

export interface ChildRun {
  readonly wallMs: number;
  /** Peak resident set size in bytes. */
  readonly peakRss: number;
  readonly rssSource: '/usr/bin/time -v' | '/proc VmHWM';
}

const GNU_TIME = '/usr/bin/time';

export async function runMeasured(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<ChildRun> {
  const viaTime = existsSync(GNU_TIME);
  const [cmd, argv] = viaTime ? [GNU_TIME, ['-v', command, ...args]] : [command, [...args]];
  const start = process.hrtime.bigint();
  const child = spawn(cmd, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let polled = 0;
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.resume();
  const timer = viaTime ? undefined : setInterval(() => (polled = Math.max(polled, vmHwm(child.pid))), 50);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (timer) clearInterval(timer);
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  if (code !== 0)
    throw new Error(`${command} ${args.join(' ')} exited with ${code}:\n${stderr.slice(-2000)}`);
  if (!viaTime) return { wallMs, peakRss: polled, rssSource: '/proc VmHWM' };
  const kb = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1];
  return { wallMs, peakRss: Number(kb ?? 0) * 1024, rssSource: '/usr/bin/time -v' };
}

function vmHwm(pid: number | undefined): number {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return Number(kb ?? 0) * 1024;
  } catch {
    return 0; // the child already exited
  }
}
