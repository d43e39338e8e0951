#!/usr/bin/env node
/** The only process.exit: maps error classes to the exit codes of DESIGN.md §2. */
import { buildProgram } from './cli/program.js';
import { onInterrupt } from './util/cleanup.js';
import { EXIT, MoefyError } from './util/errors.js';

async function main(): Promise<number> {
  try {
    await buildProgram().parseAsync(process.argv);
    return process.exitCode === undefined ? EXIT.ok : Number(process.exitCode);
  } catch (err) {
    if (err instanceof MoefyError) {
      process.stderr.write(`moefy: ${err.message}\n`);
      return err.exitCode;
    }
    const commanderCode = (err as { code?: string }).code;
    if (typeof commanderCode === 'string' && commanderCode.startsWith('commander.')) {
      // commander already printed its message (unknown option, missing argument, --help).
      return commanderCode === 'commander.helpDisplayed' || commanderCode === 'commander.version'
        ? EXIT.ok
        : EXIT.input;
    }
    process.stderr.write(`moefy: internal error: ${(err as Error)?.message ?? String(err)}\n`);
    if (process.env.MOEFY_DEBUG) process.stderr.write(`${(err as Error)?.stack}\n`);
    else process.stderr.write('moefy: this is a bug; rerun with MOEFY_DEBUG=1 for the stack trace\n');
    return EXIT.internal;
  }
}

// Ctrl-C / kill: remove registered temp dirs and locks, exit 130 / 143.
onInterrupt((code) => process.exit(code));
process.exit(await main());
