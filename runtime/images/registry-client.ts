/**
 * A minimal OCI distribution client for one configured registry: resolve tag → digest (HEAD, then
 * GET), fetch manifests and small blobs (content-verified against their digests), and list
 * referrers (the OCI 1.1 API, or the `sha256-<hex>` referrers tag where the registry lacks it).
 * Every call runs inside the caller's deadline, with retries and authentication.
 */
import type { Deadline } from './deadline';
import { isSha256Digest, referrersTag, sha256Digest } from './digest';
import { RegistryError } from './errors';
import { send, type HttpResponse } from './http';
import { MANIFEST_ACCEPT, OCI_INDEX } from './media-types';
import type { RegistryAuth } from './auth';
import { withRetry } from './retry';
import type { Endpoint, TransportPool } from './transport';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export interface Manifest {
  digest: string;
  mediaType: string;
  body: Buffer;
  json: Record<string, unknown>;
}

const MAX_REDIRECTS = 3;

export class RegistryClient {
  constructor(
    readonly endpoint: Endpoint,
    private readonly auth: RegistryAuth,
    private readonly pool: TransportPool,
  ) {}

  /** Resolve `reference` (tag or digest) to the digest of what it points at (index or manifest). */
  async resolve(repository: string, reference: string, deadline: Deadline): Promise<string> {
    const head = await this.request(repository, 'HEAD', manifestPath(repository, reference), MANIFEST_ACCEPT, deadline);
    const header = headerValue(head.headers['docker-content-digest']);
    if (head.status === 200 && header !== undefined && isSha256Digest(header)) return header;
    if (head.status === 404) throw notFound(this.endpoint.host, repository, reference);
    if (head.status !== 200 && head.status !== 405 && head.status !== 400) {
      throw new RegistryError(`${this.endpoint.host}: HEAD manifest answered ${head.status}`, head.status);
    }
    const manifest = await this.manifest(repository, reference, deadline);
    if (!manifest) throw notFound(this.endpoint.host, repository, reference);
    return manifest.digest;
  }

  /** GET a manifest; `undefined` when the registry says it does not exist. */
  async manifest(repository: string, reference: string, deadline: Deadline): Promise<Manifest | undefined> {
    const res = await this.request(repository, 'GET', manifestPath(repository, reference), MANIFEST_ACCEPT, deadline);
    if (res.status === 404) return undefined;
    if (res.status !== 200) {
      throw new RegistryError(`${this.endpoint.host}: GET manifest ${repository}:${reference} answered ${res.status}`, res.status);
    }
    const digest = sha256Digest(res.body);
    if (isSha256Digest(reference) && digest !== reference) {
      throw new RegistryError(`${this.endpoint.host}: manifest content does not match ${reference}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(res.body.toString('utf8'));
    } catch {
      throw new RegistryError(`${this.endpoint.host}: manifest ${repository}:${reference} is not JSON`);
    }
    if (json === null || typeof json !== 'object' || Array.isArray(json)) {
      throw new RegistryError(`${this.endpoint.host}: manifest ${repository}:${reference} is not an object`);
    }
    const obj = json as Record<string, unknown>;
    const mediaType =
      typeof obj.mediaType === 'string' ? obj.mediaType : (headerValue(res.headers['content-type']) ?? '').split(';')[0] ?? '';
    return { digest, mediaType, body: res.body, json: obj };
  }

  /** GET a (small) blob and check it against its digest. */
  async blob(repository: string, digest: string, deadline: Deadline, maxBytes = 1024 * 1024): Promise<Buffer> {
    if (!isSha256Digest(digest)) throw new RegistryError(`invalid blob digest ${digest}`);
    let res = await this.request(repository, 'GET', `/v2/${repository}/blobs/${digest}`, '*/*', deadline, maxBytes);
    for (let i = 0; i < MAX_REDIRECTS && res.status >= 300 && res.status < 400; i += 1) {
      res = await this.followRedirect(res, deadline, maxBytes);
    }
    if (res.status !== 200) throw new RegistryError(`${this.endpoint.host}: GET blob ${digest} answered ${res.status}`, res.status);
    if (sha256Digest(res.body) !== digest) throw new RegistryError(`${this.endpoint.host}: blob content does not match ${digest}`);
    return res.body;
  }

  /**
   * Referrers of `digest` with `artifactType`: the referrers API when the registry has it, else the
   * `sha256-<hex>` referrers tag (OCI 1.1 fallback; docker-registry 2.8 has no referrers API).
   */
  async referrers(repository: string, digest: string, artifactType: string, deadline: Deadline): Promise<Descriptor[]> {
    let index: Record<string, unknown> | undefined;
    if (this.pool.lacksReferrersApi(this.endpoint.origin)) {
      index = (await this.manifest(repository, referrersTag(digest), deadline))?.json;
      return descriptors(index?.manifests).filter((d) => d.artifactType === artifactType);
    }
    const path = `/v2/${repository}/referrers/${digest}?artifactType=${encodeURIComponent(artifactType)}`;
    const res = await this.request(repository, 'GET', path, OCI_INDEX, deadline);
    if (res.status === 200) {
      try {
        index = JSON.parse(res.body.toString('utf8')) as Record<string, unknown>;
      } catch {
        throw new RegistryError(`${this.endpoint.host}: referrers response is not JSON`);
      }
    } else if (res.status === 404 || res.status === 400 || res.status === 405) {
      this.pool.rememberNoReferrersApi(this.endpoint.origin);
      const tagged = await this.manifest(repository, referrersTag(digest), deadline);
      index = tagged?.json;
    } else {
      throw new RegistryError(`${this.endpoint.host}: referrers answered ${res.status}`, res.status);
    }
    return descriptors(index?.manifests).filter((d) => d.artifactType === artifactType);
  }

  private async request(
    repository: string,
    method: 'GET' | 'HEAD',
    path: string,
    accept: string,
    deadline: Deadline,
    maxBytes?: number,
  ): Promise<HttpResponse> {
    const scope = `repository:${repository}:pull`;
    const url = new URL(path, this.endpoint.origin);
    const attempt = (authorization: string | undefined): Promise<HttpResponse> => {
      const headers: Record<string, string> = { accept };
      if (authorization) headers.authorization = authorization;
      return withRetry(
        () => send({ method, url, headers, signal: deadline.signal, agent: this.endpoint.agent, maxBytes }),
        deadline,
      );
    };
    let res = await attempt(this.auth.cached(this.endpoint, scope));
    if (res.status === 401) {
      const authorization = await this.auth.authorize(this.endpoint, scope, res.headers['www-authenticate'], deadline);
      res = await attempt(authorization);
      if (res.status === 401) throw new RegistryError(`${this.endpoint.host}: unauthorized for ${repository}`, 401);
    }
    if (res.status === 403) throw new RegistryError(`${this.endpoint.host}: access to ${repository} denied`, 403);
    return res;
  }

  /** Follow a blob redirect (storage backends); credentials are never sent to another host. */
  private followRedirect(res: HttpResponse, deadline: Deadline, maxBytes: number): Promise<HttpResponse> {
    const location = headerValue(res.headers.location);
    if (!location) throw new RegistryError(`${this.endpoint.host}: redirect without Location`);
    const url = new URL(location, res.url);
    const sameOrigin = url.origin === this.endpoint.origin.origin;
    if (!sameOrigin && url.protocol !== 'https:') {
      throw new RegistryError(`${this.endpoint.host}: refusing non-HTTPS redirect to ${url.origin}`);
    }
    const agent = sameOrigin ? this.endpoint.agent : this.pool.agent(false);
    return withRetry(() => send({ method: 'GET', url, signal: deadline.signal, agent, maxBytes }), deadline);
  }
}

function manifestPath(repository: string, reference: string): string {
  return `/v2/${repository}/manifests/${reference}`;
}

function notFound(host: string, repository: string, reference: string): RegistryError {
  return new RegistryError(`${host}: manifest ${repository}:${reference} not found`, 404);
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

export function descriptors(value: unknown): Descriptor[] {
  if (!Array.isArray(value)) return [];
  const out: Descriptor[] = [];
  for (const d of value) {
    if (d === null || typeof d !== 'object') continue;
    const r = d as Record<string, unknown>;
    if (typeof r.digest !== 'string' || typeof r.mediaType !== 'string') continue;
    const desc: Descriptor = { mediaType: r.mediaType, digest: r.digest, size: typeof r.size === 'number' ? r.size : 0 };
    if (typeof r.artifactType === 'string') desc.artifactType = r.artifactType;
    if (r.annotations !== null && typeof r.annotations === 'object') {
      const ann: Record<string, string> = {};
      for (const [k, v] of Object.entries(r.annotations as Record<string, unknown>)) if (typeof v === 'string') ann[k] = v;
      desc.annotations = ann;
    }
    out.push(desc);
  }
  return out;
}
