/**
 * Failures of Hub calls → one-line HubErrors that say which repo/file and what to do (DESIGN.md §5), and the
 * retry policy for the transient ones. The token never reaches a message: it is redacted as a last guard.
 */
import { HubApiError } from '@huggingface/hub';
import { HubError, MoefyError } from '../util/errors.js';

export interface HubTarget {
  repo: string;
  revision: string;
  endpoint: string;
  file?: string;
  token?: string;
}

export interface RetryPolicy {
  attempts: number;
  /** Delay before retry n (1-based) is `delayMs * n`. */
  delayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 3, delayMs: 300 };

/** Runs `task` up to `policy.attempts` times while it fails transiently; `cleanup` runs after every failure. */
export async function withRetry<T>(
  task: () => Promise<T>,
  policy: RetryPolicy,
  cleanup?: () => Promise<void>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await task();
    } catch (err) {
      await cleanup?.();
      if (!isTransient(err) || attempt >= policy.attempts) throw err;
      await new Promise((done) => setTimeout(done, policy.delayMs * attempt));
    }
  }
}

/** Server errors, rate limits and broken connections are worth another try; answers about the repo are not. */
export function isTransient(err: unknown): boolean {
  if (err instanceof MoefyError) return false;
  if (err instanceof HubApiError)
    return err.statusCode >= 500 || err.statusCode === 408 || err.statusCode === 429;
  return !isMissingFile(err);
}

export function toHubError(err: unknown, target: HubTarget, policy: RetryPolicy = DEFAULT_RETRY): MoefyError {
  if (err instanceof MoefyError) return err;
  const what = `${target.repo}@${target.revision}${target.file ? `/${target.file}` : ''}`;
  const status = err instanceof HubApiError ? err.statusCode : null;
  let message: string;
  if (status === 401 || status === 403) {
    const hint = target.token
      ? 'HF_TOKEN is set but has no access to it: check the repo id, or accept its terms / use a token with access'
      : 'the repo may be private, gated or misspelled: set HF_TOKEN to a token with access';
    message = `${what}: access denied by ${target.endpoint} (HTTP ${status}); ${hint}`;
  } else if (status === 404 || isMissingFile(err)) {
    message = `${what}: not found on ${target.endpoint} (HTTP 404); check the repo id, the revision and that the file exists`;
  } else {
    const reason = status !== null ? `HTTP ${status}` : describe(err);
    message = `${what}: download from ${target.endpoint} failed after ${policy.attempts} attempts (${reason}); check the connection and retry, or use --offline with a cached copy`;
  }
  return new HubError(redact(message, target.token), { cause: err });
}

/** @huggingface/hub reports a 404 EntryNotFound from `resolve/` or an empty paths-info as these plain errors. */
function isMissingFile(err: unknown): boolean {
  return err instanceof Error && /^(invalid response for file|cannot get path info for) /.test(err.message);
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${err.message}${cause}`;
}

export function redact(text: string, token: string | undefined): string {
  return token ? text.split(token).join('<HF_TOKEN>') : text;
}
