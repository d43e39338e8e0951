import type { Command } from 'commander';

export function registerInspect(program: Command): void {
  program.command('inspect <ref>').description('what a checkpoint or emitted graph contains');
}
