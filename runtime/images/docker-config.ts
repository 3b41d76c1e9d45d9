/**
 * Registry credentials from a docker config JSON (a mounted `kubernetes.io/dockerconfigjson` pull
 * secret, `~/.docker/config.json`). Supports `auth` (base64 `user:password`), `username` +
 * `password`, and `registrytoken` (a bearer token used as is). Keys are normalized the way docker
 * does: scheme and path dropped, `index.docker.io`/`registry-1.docker.io` → `docker.io`.
 * The file is re-read when its mtime changes, so a rotated secret is picked up without a restart.
 */
import { readFileSync, statSync } from 'node:fs';
import { ImageConfigError } from './errors';

export type Credential =
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'bearer'; token: string };

export interface CredentialStore {
  lookup(host: string): Credential | undefined;
}

export function normalizeRegistryKey(key: string): string {
  let host = key.trim().replace(/^[a-z]+:\/\//i, '');
  host = host.split('/')[0] ?? host;
  host = host.toLowerCase();
  if (host === 'index.docker.io' || host === 'registry-1.docker.io' || host === 'registry.hub.docker.com') {
    return 'docker.io';
  }
  return host;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Parse docker config JSON text into a host → credential map. */
export function parseDockerConfig(text: string): Map<string, Credential> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ImageConfigError(`docker config is not valid JSON: ${(err as Error).message}`);
  }
  const out = new Map<string, Credential>();
  // A `.dockercfg` (legacy) file is the auths map itself.
  const auths = isRecord(doc) && isRecord(doc.auths) ? doc.auths : isRecord(doc) ? doc : {};
  for (const [key, entry] of Object.entries(auths)) {
    if (!isRecord(entry)) continue;
    const host = normalizeRegistryKey(key);
    if (typeof entry.registrytoken === 'string' && entry.registrytoken !== '') {
      out.set(host, { kind: 'bearer', token: entry.registrytoken });
      continue;
    }
    if (typeof entry.auth === 'string' && entry.auth !== '') {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const sep = decoded.indexOf(':');
      if (sep > 0) {
        out.set(host, { kind: 'basic', username: decoded.slice(0, sep), password: decoded.slice(sep + 1) });
        continue;
      }
    }
    if (typeof entry.username === 'string' && typeof entry.password === 'string') {
      out.set(host, { kind: 'basic', username: entry.username, password: entry.password });
    }
  }
  return out;
}

/** A store backed by a file, re-read when it changes; a missing path means no credentials. */
export function dockerConfigStore(path: string | undefined): CredentialStore {
  let cached: { mtimeMs: number; map: Map<string, Credential> } | undefined;
  return {
    lookup(host: string): Credential | undefined {
      if (path === undefined) return undefined;
      let mtimeMs: number;
      try {
        mtimeMs = statSync(path).mtimeMs;
      } catch {
        return undefined;
      }
      if (!cached || cached.mtimeMs !== mtimeMs) {
        cached = { mtimeMs, map: parseDockerConfig(readFileSync(path, 'utf8')) };
      }
      return cached.map.get(normalizeRegistryKey(host));
    },
  };
}
