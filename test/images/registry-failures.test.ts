/**
 * Registry failure modes against the REAL registry: every one is an error (rejection), never a
 * verdict — registry stopped, a registry that accepts connections but never answers (deadline),
 * 429/503 with Retry-After (a loopback proxy injects them), authentication (anonymous bearer token
 * flow and docker-config credentials), and SSRF: an attacker-chosen host is never contacted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createImageVerifier, DeadlineError, RegistryError, RegistryNotAllowedError } from '../../runtime/images';
import { registryAvailable, registrySkipNotice, startRegistry, type RunningRegistry } from '../helpers/registry';
import { ecKeyPair, keyLegacyLayer, pushImage, pushLegacySignatures, randomRepo, simpleSigningPayload } from '../helpers/cosign';
import { startBlackHole } from '../helpers/faulty-registry';
import { startProxy, type Injected } from './proxy';
import { keySet, verifyRule } from './fixtures';

const available = registryAvailable();
if (!available) registrySkipNotice();

describe.skipIf(!available)('registry failures are errors, never verdicts', () => {
  let reg: RunningRegistry;
  const signer = ecKeyPair();
  const attestors = [keySet({ name: 'ci', publicKeyPem: signer.publicKeyPem })];
  let repo: string;
  let digest: string;

  beforeAll(async () => {
    reg = await startRegistry();
    repo = randomRepo();
    const img = await pushImage(reg.url, repo, 'v1', 'failures');
    digest = img.digest;
    await pushLegacySignatures(reg.url, repo, digest, [keyLegacyLayer(signer.privateKey, simpleSigningPayload(`${reg.host}/${repo}`, digest))]);
  });
  afterAll(async () => {
    await reg?.destroy();
  });

  it('registry stopped: verify and resolveDigest reject with a RegistryError', async () => {
    const rule = verifyRule([{ host: reg.host, insecure: true }], attestors, { requestTimeoutMs: 2000 });
    const v = createImageVerifier();
    try {
      expect((await v.verify(`${reg.host}/${repo}@${digest}`, rule)).verified).toBe(true);
      await reg.stop();
      const fresh = verifyRule([{ host: reg.host, insecure: true }], [keySet({ name: 'other-cache-key', publicKeyPem: signer.publicKeyPem })]);
      await expect(v.verify(`${reg.host}/${repo}@${digest}`, fresh)).rejects.toBeInstanceOf(RegistryError);
      await expect(v.resolveDigest(`${reg.host}/${repo}:v1`, rule)).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      v.close();
      await reg.start();
    }
  });

  it('a registry that accepts connections but never answers hits the deadline', async () => {
    const hole = await startBlackHole();
    const rule = verifyRule([{ host: hole.host, insecure: true }], attestors, { requestTimeoutMs: 300 });
    const v = createImageVerifier();
    try {
      const started = Date.now();
      await expect(v.verify(`${hole.host}/${repo}:v1`, rule)).rejects.toBeInstanceOf(DeadlineError);
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(290);
      expect(elapsed).toBeLessThan(10_000); // bounded by the deadline, not by the socket's own timeout
      expect(hole.connections).toBeGreaterThan(0);
      await expect(v.verify(`${hole.host}/${repo}@${digest}`, rule)).rejects.toThrow(/deadline of 300 ms exceeded/);
    } finally {
      v.close();
      await hole.close();
    }
  });

  it('the caller signal cancels a check', async () => {
    const hole = await startBlackHole();
    const rule = verifyRule([{ host: hole.host, insecure: true }], attestors, { requestTimeoutMs: 5000 });
    const v = createImageVerifier();
    try {
      const ac = new AbortController();
      const p = v.resolveDigest(`${hole.host}/${repo}:v1`, rule, ac.signal);
      setTimeout(() => ac.abort(new Error('request cancelled')), 50);
      await expect(p).rejects.toThrow(/request cancelled/);
    } finally {
      v.close();
      await hole.close();
    }
  });

  it('429 with Retry-After: waits as asked, then succeeds', async () => {
    let throttled = 0;
    const proxy = await startProxy(reg.port, (req) => {
      if (req.method === 'HEAD' && throttled === 0) {
        throttled += 1;
        return { status: 429, headers: { 'retry-after': '1' } };
      }
      return undefined;
    });
    const rule = verifyRule([{ host: proxy.host, insecure: true }], attestors, { requestTimeoutMs: 3000 });
    const v = createImageVerifier();
    try {
      const started = Date.now();
      expect(await v.resolveDigest(`${proxy.host}/${repo}:v1`, rule)).toBe(digest);
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
      expect(proxy.log.filter((l) => l.method === 'HEAD').length).toBe(2);
    } finally {
      v.close();
      await proxy.close();
    }
  });

  it('HEAD without a digest header (or refused) falls back to GET and hashes the manifest itself', async () => {
    for (const injected of [{ status: 200 }, { status: 405 }]) {
      const proxy = await startProxy(reg.port, (req) => (req.method === 'HEAD' ? injected : undefined));
      const rule = verifyRule([{ host: proxy.host, insecure: true }], attestors);
      const v = createImageVerifier();
      try {
        expect(await v.resolveDigest(`${proxy.host}/${repo}:v1`, rule)).toBe(digest);
        expect(proxy.log.map((l) => l.method)).toEqual(['HEAD', 'GET']);
      } finally {
        v.close();
        await proxy.close();
      }
    }
  });

  it('503 with a Retry-After beyond the deadline fails at once', async () => {
    const proxy = await startProxy(reg.port, () => ({ status: 503, headers: { 'retry-after': '30' } }));
    const rule = verifyRule([{ host: proxy.host, insecure: true }], attestors, { requestTimeoutMs: 2000 });
    const v = createImageVerifier();
    try {
      await expect(v.verify(`${proxy.host}/${repo}@${digest}`, rule)).rejects.toThrow(/answered 503; retry after 30000 ms \(Retry-After\) would exceed the deadline/);
      expect(proxy.log.length).toBeGreaterThan(0);
    } finally {
      v.close();
      await proxy.close();
    }
  });

  it('persistent 5xx are retried with backoff, then reported as an error', async () => {
    const proxy = await startProxy(reg.port, () => ({ status: 502 }));
    const rule = verifyRule([{ host: proxy.host, insecure: true }], attestors, { requestTimeoutMs: 3000 });
    const v = createImageVerifier();
    try {
      await expect(v.resolveDigest(`${proxy.host}/${repo}:v1`, rule)).rejects.toThrow(/answered 502 \(after 4 attempts\)/);
      expect(proxy.log.length).toBe(4);
    } finally {
      v.close();
      await proxy.close();
    }
  });

  it('anonymous bearer-token flow from WWW-Authenticate, and Basic credentials from a docker config', async () => {
    const tokens = new Map<string, string>();
    let proxyHost = '';
    const proxy = await startProxy(reg.port, (req): Injected | undefined => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/token') {
        const basic = req.headers.authorization;
        const token = basic === `Basic ${Buffer.from('robot:s3cret').toString('base64')}` ? 'user-token' : 'anon-token';
        tokens.set(token, url.searchParams.get('scope') ?? '');
        return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, expires_in: 300 }) };
      }
      if (url.pathname === '/v2/' || url.pathname.startsWith('/v2/')) {
        const auth = req.headers.authorization ?? '';
        const ok = auth === 'Bearer user-token' || (auth === 'Bearer anon-token' && !url.pathname.includes('/private-'));
        if (!ok) {
          return {
            status: 401,
            headers: { 'www-authenticate': `Bearer realm="http://${proxyHost}/token",service="test-registry",scope="repository:${url.pathname.split('/')[2] ?? ''}:pull"` },
          };
        }
      }
      return undefined;
    });
    proxyHost = proxy.host;
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-dockercfg-'));
    const privateRepo = `private-${randomRepo()}`;
    const img = await pushImage(reg.url, privateRepo, 'v1', 'private');
    await pushLegacySignatures(reg.url, privateRepo, img.digest, [keyLegacyLayer(signer.privateKey, simpleSigningPayload(`${reg.host}/${privateRepo}`, img.digest))]);
    const rule = verifyRule([{ host: proxy.host, insecure: true }], attestors);
    const anon = createImageVerifier();
    const configPath = join(dir, 'config.json');
    writeFileSync(configPath, JSON.stringify({ auths: { [`http://${proxy.host}/v2/`]: { auth: Buffer.from('robot:s3cret').toString('base64') } } }));
    const withCreds = createImageVerifier({ dockerConfigPath: configPath });
    try {
      // Public repository: anonymous token works.
      expect((await anon.verify(`${proxy.host}/${repo}:v1`, rule)).verified).toBe(true);
      expect(tokens.get('anon-token')).toBe(`repository:${repo}:pull`);
      // Private repository: anonymous is refused (an error), credentials succeed.
      await expect(anon.verify(`${proxy.host}/${privateRepo}:v1`, rule)).rejects.toThrow(/unauthorized/);
      expect((await withCreds.verify(`${proxy.host}/${privateRepo}:v1`, rule)).verified).toBe(true);
      // The token is reused for the next requests of the same scope (one token fetch per scope).
      const tokenFetches = proxy.log.filter((l) => l.url.startsWith('/token')).length;
      await withCreds.resolveDigest(`${proxy.host}/${privateRepo}:v1`, rule);
      expect(proxy.log.filter((l) => l.url.startsWith('/token')).length).toBe(tokenFetches);
    } finally {
      anon.close();
      withCreds.close();
      await proxy.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('Basic auth challenge: credentials from the docker config, sent up front after the first challenge', async () => {
    const expected = `Basic ${Buffer.from('robot:s3cret').toString('base64')}`;
    const proxy = await startProxy(reg.port, (req): Injected | undefined =>
      req.headers.authorization === expected ? undefined : { status: 401, headers: { 'www-authenticate': 'Basic realm="test"' } },
    );
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-dockercfg-'));
    const configPath = join(dir, 'config.json');
    writeFileSync(configPath, JSON.stringify({ auths: { [proxy.host]: { username: 'robot', password: 's3cret' } } }));
    const rule = verifyRule([{ host: proxy.host, insecure: true }], attestors);
    const anon = createImageVerifier();
    const v = createImageVerifier({ dockerConfigPath: configPath });
    try {
      await expect(anon.resolveDigest(`${proxy.host}/${repo}:v1`, rule)).rejects.toThrow(/authentication required and no credentials/);
      expect((await v.verify(`${proxy.host}/${repo}:v1`, rule)).verified).toBe(true);
      const challenged = proxy.log.filter((l) => l.authorization === undefined).length;
      await v.resolveDigest(`${proxy.host}/${repo}:v1`, rule);
      expect(proxy.log.filter((l) => l.authorization === undefined).length).toBe(challenged);
    } finally {
      anon.close();
      v.close();
      await proxy.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('SSRF: an image on a host the rule does not name causes no network traffic', async () => {
    const listener = await startBlackHole();
    // The rule matches every image but only names the real registry.
    const rule = verifyRule([{ host: reg.host, insecure: true }], attestors, { imageReferences: ['**'] });
    const v = createImageVerifier();
    try {
      const targets = [
        `${listener.host}/${repo}:v1`,
        `${listener.host}/${repo}@${digest}`,
        `127.0.0.1:${listener.port}/admin/secrets:latest`,
        `localhost:${listener.port}/x:y`,
      ];
      for (const image of targets) {
        await expect(v.verify(image, rule)).rejects.toBeInstanceOf(RegistryNotAllowedError);
        await expect(v.resolveDigest(image, rule)).rejects.toBeInstanceOf(RegistryNotAllowedError);
      }
      // Give any stray connection time to land.
      await new Promise((r) => setTimeout(r, 100));
      expect(listener.connections).toBe(0);
    } finally {
      v.close();
      await listener.close();
    }
  });

  it('refuses a token realm on another plain-HTTP host', async () => {
    const listener = await startBlackHole();
    const proxy = await startProxy(reg.port, () => ({
      status: 401,
      headers: { 'www-authenticate': `Bearer realm="http://${listener.host}/token",service="x"` },
    }));
    const rule = verifyRule([{ host: proxy.host, insecure: true }], attestors);
    const v = createImageVerifier();
    try {
      await expect(v.resolveDigest(`${proxy.host}/${repo}:v1`, rule)).rejects.toThrow(/token realm .* refused/);
      expect(listener.connections).toBe(0);
    } finally {
      v.close();
      await proxy.close();
      await listener.close();
    }
  });

  it('leaves no sockets or timers behind: a failed half is cancelled, close() frees the pool', async () => {
    const handles = (): number =>
      process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'Timeout').length;
    const before = handles();
    // The referrers lookup hangs while the .sig lookup fails fast: the hung half must be cancelled.
    const hole = await startBlackHole();
    const proxy = await startProxy(reg.port, (req): Injected | undefined => {
      if (req.url?.endsWith('.sig')) return { status: 400 };
      if (req.url?.includes('referrers') || req.url?.includes('/manifests/sha256-')) return { status: 0, hang: true };
      return undefined;
    });
    const rule = verifyRule([{ host: proxy.host, insecure: true }], attestors, { requestTimeoutMs: 5000 });
    const v = createImageVerifier();
    await expect(v.verify(`${proxy.host}/${repo}@${digest}`, rule)).rejects.toThrow(/answered 400/);
    await new Promise((r) => setTimeout(r, 50));
    expect(proxy.log.some((l) => l.url.includes('referrers'))).toBe(true);
    expect(proxy.openHung).toBe(0); // the hung referrers request was cancelled with the call
    const blackHoleRule = verifyRule([{ host: hole.host, insecure: true }], attestors, { requestTimeoutMs: 100 });
    await expect(v.verify(`${hole.host}/${repo}@${digest}`, blackHoleRule)).rejects.toBeInstanceOf(DeadlineError);
    await v.verify(`${reg.host}/${repo}:v1`, verifyRule([{ host: reg.host, insecure: true }], attestors));
    v.close();
    await proxy.close();
    await hole.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(handles()).toBeLessThanOrEqual(before);
    await expect(v.resolveDigest(`${reg.host}/${repo}:v1`, verifyRule([{ host: reg.host, insecure: true }], attestors))).rejects.toThrow(/closed/);
  });
});
