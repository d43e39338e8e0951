/**
 * The moefy CLI in a real child process, as a user runs it: src/bin.ts under tsx (no build needed), tsx named by
 * file so any working directory works. `runCliAsync` is for tests whose own process must keep serving (the fake
 * Hub): spawnSync would block its event loop.
 */
import { execFile, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(repo, 'src/bin.ts');
const TSX = join(repo, 'node_modules/tsx/dist/loader.mjs');
const execFileAsync = promisify(execFile);

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  /** Merged over process.env; an `undefined` value removes the variable. */
  readonly env?: Record<string, string | undefined>;
  readonly cwd?: string;
  /** Modules loaded with --import before the CLI (e.g. an RSS probe). */
  readonly preload?: readonly string[];
}

function argv(args: readonly string[], opts: CliOptions): string[] {
  return ['--import', TSX, ...(opts.preload ?? []).flatMap((p) => ['--import', p]), BIN, ...args];
}

function environment(opts: CliOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env };
  for (const [key, value] of Object.entries(opts.env ?? {})) if (value === undefined) delete env[key];
  return env;
}

export function runCli(args: readonly string[], opts: CliOptions = {}): CliResult {
  const r = spawnSync(process.execPath, argv(args, opts), {
    encoding: 'utf8',
    env: environment(opts),
    ...(opts.cwd && { cwd: opts.cwd }),
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export async function runCliAsync(args: readonly string[], opts: CliOptions = {}): Promise<CliResult> {
  return execFileAsync(process.execPath, argv(args, opts), {
    env: environment(opts),
    ...(opts.cwd && { cwd: opts.cwd }),
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({
      code: err.code,
      stdout: err.stdout,
      stderr: err.stderr,
    }),
  );
}
