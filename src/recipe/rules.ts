/**
 * Cross-field rules: what a single field's schema cannot say. Runs on the schema's output (overrides applied), so
 * every value here is typed and defaulted; each rule reports the field the user should change.
 */
import { heldoutEvaluations } from '../train/settings.js';
import { isFourBit, Q4_BLOCK } from '../ir/precision.js';
import type { Problem } from './problems.js';
import { tasksRules } from './tasks-rules.js';
import type { ParsedRecipe } from './types.js';

export function recipeRules(recipe: ParsedRecipe): Problem[] {
  return [
    ...expertRules(recipe),
    ...windowRules(recipe),
    ...evalRules(recipe),
    ...trainRules(recipe),
    ...dataRules(recipe),
    ...tasksRules(recipe.eval.tasks),
    ...dtypeRules(recipe),
  ];
}

/**
 * The fp32 graphs carry the whole sweep (static slices, oracle, `moefy check`); 4-bit weights are quantized in
 * blocks of 32 inputs, so every nested expert must end on a block boundary for each block to be its own
 * MatMulNBits weight (and the quantized dense baseline to hold the very same blocks).
 */
function dtypeRules({ output, experts }: ParsedRecipe): Problem[] {
  const problems: Problem[] = [];
  const path = ['output', 'dtypes'];
  if (!output.dtypes.includes('fp32')) {
    problems.push({
      path,
      message: `must include fp32 (the full sweep runs on it), got [${output.dtypes.join(', ')}]`,
    });
  }
  output.dtypes.forEach((d, i) => {
    if (output.dtypes.indexOf(d) !== i)
      problems.push({ path: [...path, i], message: `${d} is listed twice` });
  });
  const fourBit = output.dtypes.find(isFourBit);
  if (fourBit && experts.align % Q4_BLOCK !== 0) {
    problems.push({
      path: ['experts', 'align'],
      message:
        `must be a multiple of ${Q4_BLOCK} (the 4-bit quantization block) when output.dtypes has ${fourBit}, ` +
        `got ${experts.align}; set experts.align: ${Q4_BLOCK} or drop ${fourBit} from output.dtypes`,
    });
  }
  return problems;
}

function expertRules({ experts }: ParsedRecipe): Problem[] {
  const problems: Problem[] = [];
  const sizes = experts.sizes;
  const path = ['experts', 'sizes'];
  sizes.forEach((size, i) => {
    const before = sizes[i - 1];
    if (before !== undefined && size <= before) {
      problems.push({
        path: [...path, i],
        message: `sizes must be strictly increasing, got ${before} then ${size}`,
      });
    }
  });
  if (sizes.at(-1) !== 1) {
    problems.push({ path, message: `the last size must be 1 (the full FFN width), got ${sizes.at(-1)}` });
  }
  return problems;
}

function windowRules(recipe: ParsedRecipe): Problem[] {
  const problems: Problem[] = [];
  for (const section of ['calibration', 'eval'] as const) {
    const { tokens, seq_len } = recipe[section];
    if (tokens < seq_len) {
      problems.push({
        path: [section, 'tokens'],
        message: `must be ≥ ${section}.seq_len (${seq_len}) to fill one window, got ${tokens}`,
      });
    }
  }
  const { rows_per_layer, tokens } = recipe.calibration;
  if (rows_per_layer > tokens) {
    problems.push({
      path: ['calibration', 'rows_per_layer'],
      message: `cannot sample more rows than calibration.tokens (${tokens}), got ${rows_per_layer}`,
    });
  }
  return problems;
}

function evalRules(recipe: ParsedRecipe): Problem[] {
  const thresholds = recipe.eval.thresholds;
  const problems: Problem[] = [];
  thresholds.forEach((t, i) => {
    const before = thresholds[i - 1];
    if (before !== undefined && t <= before) {
      problems.push({
        path: ['eval', 'thresholds', i],
        message: `thresholds must be strictly increasing, got ${before} then ${t}`,
      });
    }
  });
  return problems;
}

function trainRules({ calibration, router }: ParsedRecipe): Problem[] {
  if (router.kind !== 'mlp') return [];
  const problems: Problem[] = [];
  const trainingRows = Math.floor(calibration.rows_per_layer * (1 - router.train.heldout));
  if (router.train.batch > trainingRows) {
    problems.push({
      path: ['router', 'train', 'batch'],
      message:
        `must be ≤ the training rows per layer (${trainingRows} = calibration.rows_per_layer × ` +
        `(1 − router.train.heldout)), got ${router.train.batch}`,
    });
  }
  // Early stopping that can never fire is a setting that silently does nothing.
  const evaluations = heldoutEvaluations(router.train.steps);
  if (router.train.heldout > 0 && router.train.patience > evaluations) {
    problems.push({
      path: ['router', 'train', 'patience'],
      message:
        `counts held-out evaluations and must be ≤ the ${evaluations} a run of ${router.train.steps} steps makes, ` +
        `got ${router.train.patience}`,
    });
  }
  return problems;
}

const TABLE_FILE = /\.(jsonl|parquet)$/i;
const HUB_ID = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?\/[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;
const NAME = /^[\w][\w.-]*$/;

/** A section reads a text file or a dataset; a dataset is a Hub id or a local table file, never both. */
function dataRules(recipe: ParsedRecipe): Problem[] {
  return (['calibration', 'eval'] as const).flatMap((section): Problem[] => {
    const { text, dataset } = recipe[section];
    const at = (...path: string[]) => [section, ...path];
    if (dataset === undefined) {
      return text !== undefined && TABLE_FILE.test(text)
        ? [
            {
              path: at('text'),
              message: `${text} is a table: use ${section}.dataset: { path: ${text}, column: … }`,
            },
          ]
        : [];
    }
    const problems: Problem[] = [];
    if (text !== undefined)
      problems.push({ path: at('text'), message: 'set either text or dataset, not both' });
    if ((dataset.id === undefined) === (dataset.path === undefined)) {
      problems.push({
        path: at('dataset'),
        message: 'expected exactly one of id (a Hub dataset) or path (a local file)',
      });
    }
    if (dataset.id !== undefined && !HUB_ID.test(dataset.id)) {
      problems.push({
        path: at('dataset', 'id'),
        message: `expected a Hub dataset id 'org/name', got '${dataset.id}'`,
      });
    }
    if (dataset.path !== undefined && !TABLE_FILE.test(dataset.path)) {
      problems.push({
        path: at('dataset', 'path'),
        message: 'expected a .jsonl or .parquet file (plain text goes in text)',
      });
    }
    for (const field of ['config', 'split'] as const) {
      if (!NAME.test(dataset[field]) || dataset[field].includes('..')) {
        problems.push({ path: at('dataset', field), message: "letters, digits, '_', '-' and '.' only" });
      }
    }
    return problems;
  });
}
