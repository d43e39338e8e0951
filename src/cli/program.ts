/** Declares the commands; each lives in its own file and lazy-loads the app code it calls. */
import { Command } from 'commander';
import { VERSION } from '../app/shared/version.js';
import { registerCache } from './cache.js';
import { registerCheck } from './check.js';
import { registerConvert } from './convert.js';
import { registerEval } from './eval.js';
import { registerExport } from './export.js';
import { registerGenerate } from './generate.js';
import { registerInspect } from './inspect.js';
import { registerPlan } from './plan.js';
import { registerPush } from './push.js';
import { registerTrain } from './train.js';

export function buildProgram(): Command {
  const program = new Command('moefy')
    .description('Turn a dense Hugging Face LLM into a dynamic nested Mixture-of-Experts ONNX model')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError();
  for (const register of [
    registerCache,
    registerCheck,
    registerConvert,
    registerEval,
    registerExport,
    registerGenerate,
    registerInspect,
    registerPlan,
    registerPush,
    registerTrain,
  ])
    register(program);
  return program;
}
