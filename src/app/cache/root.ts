/** The cache root the stages use (app/shared/stage-cache.ts), for the cache command. */
import { defaultCacheRoot } from '../shared/stage-cache.js';

export function cacheRoot(): string {
  return defaultCacheRoot();
}
