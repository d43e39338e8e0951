import type { Command } from 'commander';

export function registerPlan(program: Command): void {
  program.command('plan <recipe-or-ref>').description('resolved recipe, expert grid, FLOPs and estimates');
}
