/**
 * The recipe's `eval.tasks` made ready for the sweep: each task's data opened (a Hub split resolved to its commit
 * and fetched as far as the limit reaches, or a local table), its rows turned into tokenized requests with the
 * model's tokenizer and special tokens, and what report.json records about it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TextTokenizer } from '../../data/tokenizer.js';
import { type PreparedTask, prepareTask } from '../../eval/tasks/suite.js';
import type { SpecialTokens } from '../../eval/tasks/encode.js';
import { chunkLimits, type SweepTasks } from '../../eval/tasks/point.js';
import { taskDefinition, taskLimit } from '../../eval/tasks/settings.js';
import type { TaskData } from '../../eval/tasks/types.js';
import type { Recipe } from '../../recipe/types.js';
import type { TaskInfo } from '../../report/task-types.js';
import { downloadProgress } from '../shared/download-progress.js';
import type { Stage } from '../shared/progress.js';
import { openTable, type TablePin, type TableSpec } from '../shared/table-source.js';

export interface OpenTasksOptions {
  readonly settings: Pick<Recipe['eval'], 'tasks' | 'task_limit' | 'batch' | 'seq_len'>;
  /** The output directory: its config.json names the special tokens. */
  readonly dir: string;
  readonly tokenizer: TextTokenizer;
  readonly config: { readonly maxPositions: number; readonly vocabSize: number };
  readonly offline?: boolean;
  readonly stage?: Stage;
}

export interface OpenedTasks {
  readonly sweep: SweepTasks;
  readonly info: readonly TaskInfo[];
  /** Task name → the data it read, for the lock and the manifest. */
  readonly pins: Readonly<Record<string, TablePin>>;
}

function tableSpec(data: TaskData): TableSpec {
  return data.kind === 'local'
    ? { path: data.path, config: 'default', split: 'test', revision: 'main' }
    : { id: data.id, config: data.config, split: data.split, revision: data.revision };
}

/** The first id of a config.json token field (an id, a list of ids, or null). */
function tokenId(value: unknown): number | null {
  const id = Array.isArray(value) ? value[0] : value;
  return typeof id === 'number' && Number.isInteger(id) && id >= 0 ? id : null;
}

/**
 * As lm-evaluation-harness's HFLM: the prefix token is BOS, else EOS; Gemma models get BOS in front of every
 * encoding (HFLM turns `add_bos_token` on for model types containing "gemma").
 */
export function specialTokens(dir: string): SpecialTokens {
  const file = join(dir, 'config.json');
  const config = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  const bos = tokenId(config.bos_token_id);
  const prefix = bos ?? tokenId(config.eos_token_id);
  const gemma = typeof config.model_type === 'string' && config.model_type.includes('gemma');
  return { prefix, bos: gemma ? bos : null };
}

/** null when the recipe scores no task. */
export async function openTasks(o: OpenTasksOptions): Promise<OpenedTasks | null> {
  if (o.settings.tasks.length === 0) return null;
  const special = specialTokens(o.dir);
  const prepared: PreparedTask[] = [];
  const info: TaskInfo[] = [];
  const pins: Record<string, TablePin> = {};
  for (const entry of o.settings.tasks) {
    const definition = taskDefinition(entry);
    const limit = taskLimit(entry, o.settings.task_limit);
    const table = await openTable(tableSpec(definition.data), { ...(o.offline && { offline: true }) });
    o.stage?.note(`task ${definition.name}: ${table.label}${limit === null ? '' : `, first ${limit} rows`}`);
    const rows = table.rows({
      columns: definition.columns,
      ...(limit !== null && { limit }),
      ...(o.stage && { onDownload: downloadProgress(o.stage) }),
    });
    const task = await prepareTask({
      definition,
      rows,
      limit,
      tokenizer: o.tokenizer,
      maxLength: o.config.maxPositions,
      special,
      label: `task ${definition.name} (${table.label})`,
    });
    prepared.push(task);
    pins[definition.name] = table.pin;
    info.push({
      name: definition.name,
      source: definition.source,
      dataset: table.label,
      dataset_sha: table.pin.kind === 'hub' ? table.pin.sha : table.pin.sha256,
      samples: task.docs.length,
      limit,
      num_fewshot: 0,
      metrics: [...definition.metrics],
    });
  }
  return {
    sweep: {
      tasks: prepared,
      limits: chunkLimits({ batch: o.settings.batch, seqLen: o.settings.seq_len, vocab: o.config.vocabSize }),
      vocab: o.config.vocabSize,
    },
    info,
    pins,
  };
}
