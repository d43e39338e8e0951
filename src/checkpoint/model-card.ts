/**
 * The base model's license, as its own card declares it (`license:` in README.md's front matter), for the card of
 * a converted model. From the Hub at the pinned commit (through the cache: a second push costs no request), or
 * from the README.md of a local checkpoint directory. Null when there is no card or no license in it.
 */
import { downloadFileToCacheDir, HubApiError } from '@huggingface/hub';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cardMetadata } from './card-metadata.js';
import { toHubError } from './hub-errors.js';
import { hubFetch, quietly } from './hub-fetch.js';
import { type HubSettingsInput, hubSettings } from './hub-settings.js';

export type LicenseSource = { kind: 'hub'; repo: string; sha: string } | { kind: 'local'; path: string };

export async function baseModelLicense(
  source: LicenseSource,
  opts: HubSettingsInput = {},
): Promise<string | null> {
  const text = source.kind === 'local' ? await localCard(source.path) : await hubCard(source, opts);
  const license = text === null ? undefined : cardMetadata(text)?.license;
  return typeof license === 'string' && /^[\w.+-]{1,64}$/.test(license) ? license : null;
}

async function localCard(dir: string): Promise<string | null> {
  return readFile(join(dir, 'README.md'), 'utf8').catch(() => null);
}

async function hubCard(
  source: { repo: string; sha: string },
  opts: HubSettingsInput,
): Promise<string | null> {
  const s = hubSettings(opts);
  try {
    const path = await quietly(() =>
      downloadFileToCacheDir({
        repo: { type: 'model', name: source.repo },
        path: 'README.md',
        revision: source.sha,
        hubUrl: s.endpoint,
        cacheDir: s.cacheDir,
        fetch: hubFetch({ endpoint: s.endpoint, token: s.token }),
      }),
    );
    return await readFile(path, 'utf8');
  } catch (err) {
    if (err instanceof HubApiError && err.statusCode === 404) return null;
    if (err instanceof Error && /^(invalid response for file|cannot get path info for) /.test(err.message))
      return null;
    throw toHubError(err, {
      repo: source.repo,
      revision: source.sha,
      endpoint: s.endpoint,
      file: 'README.md',
      token: s.token,
    });
  }
}
