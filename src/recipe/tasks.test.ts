/** The recipe's `eval.tasks`: built-in names, settings, a user's task, and every refusal with its field. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RecipeError } from '../util/errors.js';
import { parseRecipeText } from './load.js';

const dir = mkdtempSync(join(tmpdir(), 'moefy-recipe-tasks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'r.yaml');

function problemsOf(text: string): readonly string[] {
  try {
    parseRecipeText(text, file);
  } catch (err) {
    expect(err).toBeInstanceOf(RecipeError);
    return (err as RecipeError).problems;
  }
  throw new Error('recipe was accepted');
}

describe('eval.tasks', () => {
  it('is off by default: the embedded default scores no task', () => {
    const recipe = parseRecipeText('', file);
    expect(recipe.eval.tasks).toEqual([]);
    expect(recipe.eval.task_limit).toBeNull();
  });

  it('takes built-in names, built-ins with a limit, and a user task whose local path resolves against the recipe', () => {
    const recipe = parseRecipeText(
      `eval:
  task_limit: 100
  tasks:
    - hellaswag
    - { name: arc_easy, limit: 20 }
    - name: intents
      dataset: { path: data/intents.parquet }
      context: "Ticket: {{body}}\\nIntent:"
      choices: [a, b]
      label: gold
`,
      file,
    );
    expect(recipe.eval.task_limit).toBe(100);
    expect(recipe.eval.tasks).toEqual([
      'hellaswag',
      { name: 'arc_easy', limit: 20 },
      {
        name: 'intents',
        dataset: { path: join(dir, 'data/intents.parquet') },
        context: 'Ticket: {{body}}\nIntent:',
        choices: ['a', 'b'],
        label: 'gold',
      },
    ]);
  });

  it('a misspelled name or key says what it expected, at its place', () => {
    expect(problemsOf('eval:\n  tasks:\n    - hellaswa\n    - { nam: piqa }\n')).toEqual([
      "eval.tasks[0] (3:7): must be one of 'hellaswag' | 'arc_easy' | 'arc_challenge' | 'piqa' | 'winogrande' | " +
        "'lambada_openai', got 'hellaswa'",
      'eval.tasks[1].name (4:7): expected string, got nothing',
      "eval.tasks[1].nam (4:9): unknown key 'nam'; did you mean 'name'?",
    ]);
  });

  it('refuses a changed built-in prompt, an incomplete user task and duplicates, naming each field', () => {
    const problems = problemsOf(`eval:
  tasks:
    - { name: piqa, context: "Q: {{goal}}" }
    - { name: mine, choices: opts }
    - arc_easy
    - { name: arc_easy, limit: 5 }
    - { name: other, dataset: { id: a/b, path: x.csv }, context: c, choices: [a, b], label: l }
`);
    expect(problems).toEqual([
      "eval.tasks[0].context (3:30): piqa is built in with lm-evaluation-harness's prompt; give your own task another name to change it",
      "eval.tasks[1].dataset (4:7): 'mine' is not a built-in task (hellaswag, arc_easy, arc_challenge, piqa, winogrande, lambada_openai): give its dataset (id or path)",
      "eval.tasks[1].context (4:7): required for your own task 'mine'",
      "eval.tasks[1].label (4:7): required for your own task 'mine'",
      "eval.tasks[3] (6:7): task 'arc_easy' appears twice",
      'eval.tasks[4].dataset (7:31): expected one of id (a Hub dataset) or path (a local file), not both',
      'eval.tasks[4].dataset.path (7:48): expected a .jsonl or .parquet file',
    ]);
  });
});
