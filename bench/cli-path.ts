/** How the suites start moefy as a child process: the built CLI when present (what users run), else via tsx. */
import { existsSync } from 'node:fs';

const ROOT = new URL('../', import.meta.url).pathname;
const BUILT = `${ROOT}dist/bin.js`;

export function moefyCommand(args: readonly string[]): { command: string; args: string[] } {
  if (existsSync(BUILT)) return { command: process.execPath, args: [BUILT, ...args] };
  return { command: process.execPath, args: ['--import', 'tsx', `${ROOT}src/bin.ts`, ...args] };
}

export const REPO_ROOT = ROOT;
