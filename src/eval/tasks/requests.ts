/**
 * Documents → log-likelihood requests (context, continuation), as lm-evaluation-harness's
 * ConfigurableTask.construct_requests builds them zero-shot (the few-shot context is then empty, so the context
 * is the document's text alone).
 */
import type { TaskDoc } from './types.js';

export interface LlRequest {
  readonly context: string;
  readonly continuation: string;
}

export function docRequests(doc: TaskDoc, targetDelimiter: string): LlRequest[] {
  switch (doc.kind) {
    case 'choices':
      return doc.choices.map((c) => ({ context: doc.context, continuation: `${targetDelimiter}${c}` }));
    case 'contexts':
      return doc.contexts.map((c) => ({ context: c, continuation: `${targetDelimiter}${doc.continuation}` }));
    case 'continuation':
      // output_type loglikelihood: the target carries its own leading space; no delimiter is added.
      return [{ context: doc.context, continuation: doc.continuation }];
  }
}
