/**
 * Hub settings from options, then the environment variables huggingface_hub (Python) reads, so moefy shares its
 * cache and credentials: HF_HUB_CACHE, HF_HOME, XDG_CACHE_HOME, HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../util/errors.js';

export interface HubSettingsInput {
  offline?: boolean;
  cacheDir?: string;
  token?: string;
  endpoint?: string;
  env?: NodeJS.ProcessEnv;
}

export interface HubSettings {
  offline: boolean;
  cacheDir: string;
  token: string | undefined;
  endpoint: string;
}

export const DEFAULT_ENDPOINT = 'https://huggingface.co';
const TRUTHY = new Set(['1', 'true', 'yes', 'on']);

export function hubSettings(opts: HubSettingsInput): HubSettings {
  const env = opts.env ?? process.env;
  const endpoint = (opts.endpoint ?? nonEmpty(env.HF_ENDPOINT) ?? DEFAULT_ENDPOINT).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]/.test(endpoint)) {
    throw new InputError(`Hub endpoint '${endpoint}' (HF_ENDPOINT or --endpoint): expected an http(s) URL`);
  }
  return {
    offline: opts.offline === true || TRUTHY.has((env.HF_HUB_OFFLINE ?? '').trim().toLowerCase()),
    cacheDir: opts.cacheDir ?? defaultCacheDir(env),
    token: nonEmpty(opts.token) ?? nonEmpty(env.HF_TOKEN),
    endpoint,
  };
}

function defaultCacheDir(env: NodeJS.ProcessEnv): string {
  const hubCache = nonEmpty(env.HF_HUB_CACHE);
  if (hubCache) return hubCache;
  const hfHome =
    nonEmpty(env.HF_HOME) ?? join(nonEmpty(env.XDG_CACHE_HOME) ?? join(homedir(), '.cache'), 'huggingface');
  return join(hfHome, 'hub');
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}
