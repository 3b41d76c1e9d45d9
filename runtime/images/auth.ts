/**
 * Registry authentication: the anonymous (or credentialed) bearer-token flow announced by
 * `WWW-Authenticate: Bearer realm=…,service=…`, and Basic auth, with credentials from a docker
 * config. Tokens are cached per (registry, scope) until shortly before they expire.
 *
 * The token realm is chosen by the (configured, trusted) registry, not by the image reference:
 * it must be HTTPS, except that an `insecure` registry may use a realm on its own origin.
 */
import type { Deadline } from './deadline';
import type { Credential, CredentialStore } from './docker-config';
import { RegistryError } from './errors';
import { send } from './http';
import { withRetry } from './retry';
import type { Endpoint, TransportPool } from './transport';
import { parseChallenge } from './www-authenticate';

interface CachedToken {
  header: string;
  expiresAt: number;
}

export class RegistryAuth {
  private readonly tokens = new Map<string, CachedToken>();

  constructor(
    private readonly credentials: CredentialStore,
    private readonly pool: TransportPool,
    private readonly now: () => number = Date.now,
  ) {}

  /** The Authorization header to send before any challenge, if one is known. */
  cached(endpoint: Endpoint, scope: string): string | undefined {
    const token = this.tokens.get(`${endpoint.host}|${scope}`);
    if (token && token.expiresAt > this.now()) return token.header;
    const cred = this.credentials.lookup(endpoint.host);
    if (cred?.kind === 'bearer') return `Bearer ${cred.token}`;
    return undefined;
  }

  /** Answer a 401 challenge: returns the Authorization header to retry with. */
  async authorize(
    endpoint: Endpoint,
    scope: string,
    wwwAuthenticate: string | string[] | undefined,
    deadline: Deadline,
  ): Promise<string> {
    const challenge = parseChallenge(wwwAuthenticate);
    const cred = this.credentials.lookup(endpoint.host);
    if (challenge?.scheme === 'basic') {
      if (cred?.kind !== 'basic') throw new RegistryError(`${endpoint.host}: authentication required and no credentials are configured`, 401);
      const header = basicHeader(cred);
      // Sent up front from now on (re-read from the docker config every 5 minutes).
      this.tokens.set(`${endpoint.host}|${scope}`, { header, expiresAt: this.now() + 300_000 });
      return header;
    }
    if (challenge?.scheme !== 'bearer' || !challenge.params.realm) {
      throw new RegistryError(`${endpoint.host}: unauthorized (no usable WWW-Authenticate challenge)`, 401);
    }
    const realm = this.realmUrl(endpoint, challenge.params.realm);
    realm.searchParams.set('scope', challenge.params.scope ?? scope);
    if (challenge.params.service) realm.searchParams.set('service', challenge.params.service);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (cred?.kind === 'basic') headers.authorization = basicHeader(cred);
    const agent = endpoint.insecure && realm.protocol === 'https:' ? this.pool.agent(false) : endpoint.agent;
    const res = await withRetry(
      () => send({ method: 'GET', url: realm, headers, signal: deadline.signal, agent, maxBytes: 256 * 1024 }),
      deadline,
    );
    if (res.status !== 200) throw new RegistryError(`${realm.host}: token request answered ${res.status}`, res.status);
    let body: unknown;
    try {
      body = JSON.parse(res.body.toString('utf8'));
    } catch {
      throw new RegistryError(`${realm.host}: token response is not JSON`);
    }
    const record = (body ?? {}) as Record<string, unknown>;
    const token = typeof record.token === 'string' ? record.token : record.access_token;
    if (typeof token !== 'string' || token === '') throw new RegistryError(`${realm.host}: token response has no token`);
    const expiresIn = typeof record.expires_in === 'number' && record.expires_in > 0 ? record.expires_in : 60;
    const header = `Bearer ${token}`;
    // Renew 10 s (or 10%) before expiry.
    const margin = Math.min(10, expiresIn / 10);
    this.tokens.set(`${endpoint.host}|${scope}`, { header, expiresAt: this.now() + (expiresIn - margin) * 1000 });
    return header;
  }

  private realmUrl(endpoint: Endpoint, realm: string): URL {
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new RegistryError(`${endpoint.host}: invalid token realm`);
    }
    if (url.protocol === 'https:') return url;
    if (url.protocol === 'http:' && endpoint.insecure && url.host === endpoint.origin.host) return url;
    throw new RegistryError(`${endpoint.host}: token realm ${url.origin} refused (must be HTTPS, or the insecure registry itself)`);
  }
}

function basicHeader(cred: Extract<Credential, { kind: 'basic' }>): string {
  return `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}`;
}
