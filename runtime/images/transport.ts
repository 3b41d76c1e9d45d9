/**
 * Connection pools per configured registry. Only registries named in a rule get an endpoint:
 * `endpointFor` is the single gate between an (attacker-chosen) image host and the network.
 * HTTPS uses the system CAs plus the registry's optional `caPem`; plain HTTP only when the
 * registry is configured `insecure: true`.
 */
import { createHash } from 'node:crypto';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { rootCertificates } from 'node:tls';
import type { Registry } from '../bundle';
import { normalizeRegistryKey } from './docker-config';
import { configuredRegistry } from './registry-gate';

export interface Endpoint {
  /** The host as image references name it (`docker.io`, `registry.example.com:5000`). */
  host: string;
  /** Where the API lives (`https://registry-1.docker.io` for docker.io). */
  origin: URL;
  insecure: boolean;
  agent: HttpAgent | HttpsAgent;
}

/** Docker Hub's API host differs from the name used in references. */
function apiHost(host: string): string {
  return host === 'docker.io' ? 'registry-1.docker.io' : host;
}

/** How long a registry's lack of the referrers API is remembered before probing again. */
const REFERRERS_PROBE_INTERVAL_MS = 10 * 60_000;

export class TransportPool {
  private readonly agents = new Map<string, HttpAgent | HttpsAgent>();
  private readonly noReferrersApi = new Map<string, number>();
  private closed = false;

  /** True while `origin` is known to lack the OCI 1.1 referrers API (use the tag fallback). */
  lacksReferrersApi(origin: URL, now = Date.now()): boolean {
    const until = this.noReferrersApi.get(origin.origin);
    return until !== undefined && until > now;
  }

  rememberNoReferrersApi(origin: URL, now = Date.now()): void {
    this.noReferrersApi.set(origin.origin, now + REFERRERS_PROBE_INTERVAL_MS);
  }

  /** The endpoint for `host`, or RegistryNotAllowedError when `registries` does not name it. */
  endpointFor(host: string, registries: readonly Registry[]): Endpoint {
    // Compared after the same normalization as references (case, `index.docker.io` → `docker.io`).
    const reg = configuredRegistry(host, registries);
    const wanted = normalizeRegistryKey(host);
    const insecure = reg.insecure === true;
    const origin = new URL(`${insecure ? 'http' : 'https'}://${apiHost(wanted)}`);
    return { host: wanted, origin, insecure, agent: this.agent(insecure, reg.caPem) };
  }

  /** An agent for `https:` with the system CAs plus `caPem` (token realms, redirects). */
  agent(insecure: boolean, caPem?: string): HttpAgent | HttpsAgent {
    if (this.closed) throw new Error('image verifier is closed');
    const key = insecure ? 'http' : `https:${caPem ? createHash('sha256').update(caPem).digest('hex') : 'system'}`;
    let agent = this.agents.get(key);
    if (!agent) {
      const common = { keepAlive: true, keepAliveMsecs: 1000, maxSockets: 16, maxFreeSockets: 4, timeout: 30_000 };
      agent = insecure
        ? new HttpAgent(common)
        : new HttpsAgent({ ...common, ca: caPem ? [...rootCertificates, caPem] : undefined });
      this.agents.set(key, agent);
    }
    return agent;
  }

  close(): void {
    this.closed = true;
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }
}
