/**
 * The pure parts of runtime/images on their own: challenge and Retry-After parsing, docker config
 * credentials, identity matching (anchoring, as a property), payload checks, the verdict cache
 * (TTL, LRU, coalescing), deadlines, key parsing, the registry gate and the retry policy.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { generateKeyPairSync } from 'node:crypto';
import { getEventListeners } from 'node:events';
import { parseChallenge } from '../../runtime/images/www-authenticate';
import { retryAfterMs, type HttpResponse } from '../../runtime/images/http';
import { normalizeRegistryKey, parseDockerConfig } from '../../runtime/images/docker-config';
import { identityMatches, MAX_REGEX_IDENTITY_LENGTH } from '../../runtime/images/identity';
import { checkInTotoStatement, checkSimpleSigningPayload, COSIGN_SIGN_PREDICATE } from '../../runtime/images/payload';
import { VerdictCache } from '../../runtime/images/verdict-cache';
import { createDeadline, sleep } from '../../runtime/images/deadline';
import { parsePublicKey, verifyWithKey } from '../../runtime/images/public-key';
import { TransportPool } from '../../runtime/images/transport';
import { withRetry } from '../../runtime/images/retry';
import { DeadlineError, ImageConfigError, RegistryError, RegistryNotAllowedError } from '../../runtime/images/errors';
import { simpleSigningPayload, inTotoStatement, signPayload } from '../helpers/cosign';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

describe('WWW-Authenticate', () => {
  it('parses a bearer challenge with quoted, comma-containing values', () => {
    expect(parseChallenge('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' },
    });
    expect(parseChallenge('Basic realm="Registry Realm"')).toEqual({ scheme: 'basic', params: { realm: 'Registry Realm' } });
    expect(parseChallenge(undefined)).toBeUndefined();
  });
});

describe('Retry-After', () => {
  it('reads delta-seconds and HTTP dates, ignores garbage', () => {
    expect(retryAfterMs('2')).toBe(2000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(retryAfterMs('Thu, 01 Jan 2025 00:00:05 GMT', now)).toBe(0);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(undefined)).toBeUndefined();
  });
});

describe('docker config credentials', () => {
  it('reads auth, username/password and registrytoken, normalizing keys like docker', () => {
    const map = parseDockerConfig(
      JSON.stringify({
        auths: {
          'https://index.docker.io/v1/': { auth: Buffer.from('hub:pw:with:colons').toString('base64') },
          'registry.example.com:5000': { username: 'u', password: 'p' },
          'https://ghcr.io': { registrytoken: 'tok' },
          'broken.example': { auth: 'bm9jb2xvbg==' },
        },
      }),
    );
    expect(map.get('docker.io')).toEqual({ kind: 'basic', username: 'hub', password: 'pw:with:colons' });
    expect(map.get('registry.example.com:5000')).toEqual({ kind: 'basic', username: 'u', password: 'p' });
    expect(map.get('ghcr.io')).toEqual({ kind: 'bearer', token: 'tok' });
    expect(map.has('broken.example')).toBe(false);
    expect(normalizeRegistryKey('registry-1.docker.io')).toBe('docker.io');
    expect(() => parseDockerConfig('{')).toThrow(ImageConfigError);
  });
});

describe('certificate identity matching', () => {
  const MAIN = 'https://github.com/acme/app/.github/workflows/release.yaml@refs/heads/main';
  it('is exact by default and anchors regexes', () => {
    expect(identityMatches({ subject: MAIN }, { subject: MAIN })).toBe(true);
    expect(identityMatches({ subject: MAIN }, { subject: `${MAIN}-unreviewed` })).toBe(false);
    expect(identityMatches({ subjectRegExp: 'https://github\\.com/acme/.*@refs/heads/main' }, { subject: `${MAIN}-unreviewed` })).toBe(false);
    expect(identityMatches({ subjectRegExp: 'https://github\\.com/acme/.*@refs/heads/main' }, { subject: MAIN })).toBe(true);
    expect(identityMatches({ subjectRegExp: 'a|b' }, { subject: 'xa' })).toBe(false); // alternation is grouped
    expect(identityMatches({ subject: MAIN, issuer: 'https://x' }, { subject: MAIN })).toBe(false);
    expect(identityMatches({ subject: MAIN, issuerRegExp: 'https://(x|y)' }, { subject: MAIN, issuer: 'https://y' })).toBe(true);
    expect(() => identityMatches({ issuer: 'https://x' }, { subject: MAIN })).toThrow(ImageConfigError);
    expect(() => identityMatches({ subjectRegExp: '(' }, { subject: MAIN })).toThrow(ImageConfigError);
  });
  it('never runs a regex over a hostile, over-long subject (exact matchers have no cap)', () => {
    const long = `https://github.com/acme/${'a'.repeat(MAX_REGEX_IDENTITY_LENGTH)}`;
    expect(identityMatches({ subjectRegExp: 'https://github\\.com/acme/.*' }, { subject: long })).toBe(false);
    expect(identityMatches({ subject: long }, { subject: long })).toBe(true);
    const fits = `https://github.com/acme/${'a'.repeat(100)}`;
    expect(identityMatches({ subjectRegExp: 'https://github\\.com/acme/.*' }, { subject: fits })).toBe(true);
  });

  it('property: neither an exact subject nor its escaped regex ever accepts a longer subject', () => {
    const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), fc.string(), (s, suffix, prefix) => {
        expect(identityMatches({ subject: s }, { subject: s + suffix })).toBe(false);
        expect(identityMatches({ subjectRegExp: escape(s) }, { subject: s + suffix })).toBe(false);
        expect(identityMatches({ subjectRegExp: escape(s) }, { subject: prefix + s + suffix })).toBe(false);
        expect(identityMatches({ subjectRegExp: escape(s) }, { subject: s })).toBe(true);
      }),
    );
  });
});

describe('what a signature covers', () => {
  it('simple-signing payloads name the digest', () => {
    expect(checkSimpleSigningPayload(simpleSigningPayload('r/x', DIGEST), DIGEST)).toBeUndefined();
    expect(checkSimpleSigningPayload(simpleSigningPayload('r/x', DIGEST), `sha256:${'cd'.repeat(32)}`)).toMatch(/signature is for/);
    expect(checkSimpleSigningPayload(Buffer.from('{"critical":{"type":"other"}}'), DIGEST)).toMatch(/payload type/);
    expect(checkSimpleSigningPayload(Buffer.from('not json'), DIGEST)).toMatch(/not JSON/);
  });
  it('in-toto statements name the digest with an accepted predicate type', () => {
    const st = inTotoStatement(DIGEST, 'r/x');
    expect(checkInTotoStatement('application/vnd.in-toto+json', st, DIGEST, [COSIGN_SIGN_PREDICATE])).toBeUndefined();
    expect(checkInTotoStatement('application/vnd.in-toto+json', st, `sha256:${'cd'.repeat(32)}`, [COSIGN_SIGN_PREDICATE])).toMatch(/does not name/);
    expect(checkInTotoStatement('application/vnd.in-toto+json', inTotoStatement(DIGEST, 'r/x', 'https://slsa.dev/provenance/v1'), DIGEST, [COSIGN_SIGN_PREDICATE])).toMatch(/not accepted/);
    expect(checkInTotoStatement('text/plain', st, DIGEST, [COSIGN_SIGN_PREDICATE])).toMatch(/not an in-toto/);
  });
});

describe('verdict cache', () => {
  it('expires entries after their TTL and evicts the least recently used', () => {
    let now = 0;
    const cache = new VerdictCache<string>({ maxEntries: 2, now: () => now });
    cache.set('a', 'A', 1000);
    cache.set('b', 'B', 1000);
    expect(cache.get('a')).toBe('A'); // a is now most recent
    cache.set('c', 'C', 1000);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe('A');
    now = 1000;
    expect(cache.get('a')).toBeUndefined();
    cache.set('z', 'Z', 0); // TTL 0 = not cached
    expect(cache.get('z')).toBeUndefined();
  });

  it('coalesces concurrent computations and never caches a failure', async () => {
    const cache = new VerdictCache<string>({ maxEntries: 10 });
    let runs = 0;
    let release: (v: string) => void = () => undefined;
    const compute = (): Promise<string> => {
      runs += 1;
      return new Promise<string>((r) => (release = r));
    };
    const p1 = cache.coalesce('k', compute);
    const p2 = cache.coalesce('k', compute);
    expect(cache.inflightCount).toBe(1);
    release('v');
    expect(await Promise.all([p1, p2])).toEqual(['v', 'v']);
    expect(runs).toBe(1);
    expect(cache.inflightCount).toBe(0);
    await expect(cache.coalesce('e', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(cache.get('e')).toBeUndefined();
    expect(cache.inflightCount).toBe(0);
  });
});

describe('deadlines', () => {
  it('abort with a DeadlineError and leave no timer once disposed', async () => {
    const d = createDeadline(20);
    await expect(sleep(1000, d.signal)).rejects.toBeInstanceOf(DeadlineError);
    d.dispose();
    const parent = new AbortController();
    const child = createDeadline(10_000, parent.signal);
    parent.abort(new Error('cancelled'));
    expect(child.signal.aborted).toBe(true);
    child.dispose();
  });

  it('do not accumulate listeners on a long-lived parent signal', () => {
    const closing = new AbortController();
    for (let i = 0; i < 1000; i++) createDeadline(1000, [undefined, closing.signal]).dispose();
    expect(getEventListeners(closing.signal, 'abort')).toHaveLength(0);
    const live = createDeadline(1000, [closing.signal]);
    expect(getEventListeners(closing.signal, 'abort')).toHaveLength(1);
    closing.abort(new Error('closed'));
    expect(live.signal.aborted).toBe(true);
    live.dispose();
  });
});

describe('public keys', () => {
  it('refuses unsupported curves and garbage', () => {
    const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(() => parsePublicKey(k1)).toThrow(/unsupported EC curve/);
    expect(() => parsePublicKey('not a key')).toThrow(ImageConfigError);
  });
  it('never throws on a malformed signature', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const parsed = parsePublicKey(publicKey.export({ type: 'spki', format: 'pem' }).toString());
    const data = Buffer.from('payload');
    expect(verifyWithKey(parsed, data, Buffer.from(signPayload(privateKey, data), 'base64'))).toBe(true);
    expect(verifyWithKey(parsed, data, Buffer.from('garbage'))).toBe(false);
  });
});

describe('registry gate', () => {
  it('only configured hosts get an endpoint; docker.io maps to its API host; HTTPS unless insecure', () => {
    const pool = new TransportPool();
    try {
      const regs = [{ host: 'Registry.Example.com' }, { host: 'docker.io' }, { host: '127.0.0.1:5000', insecure: true }];
      expect(pool.endpointFor('registry.example.com', regs).origin.href).toBe('https://registry.example.com/');
      expect(pool.endpointFor('docker.io', regs).origin.href).toBe('https://registry-1.docker.io/');
      expect(pool.endpointFor('docker.io', [{ host: 'index.docker.io' }]).host).toBe('docker.io');
      expect(pool.endpointFor('127.0.0.1:5000', regs).origin.href).toBe('http://127.0.0.1:5000/');
      expect(() => pool.endpointFor('registry.example.com.evil.io', regs)).toThrow(RegistryNotAllowedError);
      expect(() => pool.endpointFor('127.0.0.1:5001', regs)).toThrow(RegistryNotAllowedError);
    } finally {
      pool.close();
    }
  });
});

describe('retry policy', () => {
  const res = (status: number, headers: Record<string, string> = {}): HttpResponse => ({ status, headers, body: Buffer.alloc(0), url: new URL('http://r.example') });

  it('retries 429/503 honouring Retry-After, then returns the success', async () => {
    const d = createDeadline(5000);
    const answers = [res(429, { 'retry-after': '0' }), res(503), res(200)];
    const out = await withRetry(() => Promise.resolve(answers.shift()!), d, { baseDelayMs: 10 });
    d.dispose();
    expect(out.status).toBe(200);
    expect(answers).toHaveLength(0);
  });

  it('does not retry 4xx or non-transient transport errors', async () => {
    const d = createDeadline(5000);
    let calls = 0;
    expect((await withRetry(() => (calls++, Promise.resolve(res(404))), d)).status).toBe(404);
    await expect(withRetry(() => (calls++, Promise.reject(new RegistryError('tls', undefined, { retryable: false }))), d)).rejects.toThrow('tls');
    expect(calls).toBe(2);
    await expect(withRetry(() => (calls++, Promise.reject(new RegistryError('reset', undefined, { retryable: true }))), d, { attempts: 3, baseDelayMs: 1 })).rejects.toThrow('reset');
    expect(calls).toBe(5);
    d.dispose();
  });
});
