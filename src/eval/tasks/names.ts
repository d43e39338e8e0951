/** The built-in tasks' names, as lm-evaluation-harness names them (the recipe schema offers them for completion). */
export const BUILTIN_TASK_NAMES = [
  'hellaswag',
  'arc_easy',
  'arc_challenge',
  'piqa',
  'winogrande',
  'lambada_openai',
] as const;

export type BuiltinTaskName = (typeof BUILTIN_TASK_NAMES)[number];
