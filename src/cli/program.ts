/** Declares the commands; each lives in its own file and lazy-loads the app code it calls. */
import { Command } from 'commander';
import { VERSION } from '../app/version.js';
import { registerConvert } from './convert.js';
import { registerExport } from './export.js';
import { registerInspect } from './inspect.js';
import { registerPlan } from './plan.js';

export function buildProgram(): Command {
  const program = new Command('moefy')
    .description('Turn a dense Hugging Face LLM into a dynamic nested Mixture-of-Experts ONNX model')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError();
  for (const register of [registerConvert, registerExport, registerInspect, registerPlan]) register(program);
  return program;
}
