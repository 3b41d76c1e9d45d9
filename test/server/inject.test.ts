/**
 * Fast in-process checks with fastify.inject (no sockets): health and readiness states, routing to
 * webhook entries, and the response contract on the wire format. The HTTPS suites cover the same
 * paths end to end.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleHash, prettyCanonicalJson } from '../../runtime/bundle';
import { PortcullisServer } from '../../runtime/server/server';
import { createTestPki, type TestPki } from '../helpers/tls';
import { COMPLIANT_CONTAINER, PATHS, pod, review, testBundle } from './fixtures';

let pki: TestPki;
let dir: string;

beforeAll(() => {
  pki = createTestPki();
  dir = mkdtempSync(join(tmpdir(), 'portcullis-inject-'));
});
afterAll(() => {
  pki.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

function server(bundleText: string, expectedBundleHash?: string): PortcullisServer {
  const bundlePath = join(dir, `bundle-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(bundlePath, bundleText);
  return new PortcullisServer({
    bundlePath,
    tlsCertPath: pki.certPath,
    tlsKeyPath: pki.keyPath,
    logger: false,
    watch: false,
    ...(expectedBundleHash === undefined ? {} : { expectedBundleHash }),
  });
}

describe('inject', () => {
  it('is alive but not ready without a valid bundle, and admission answers 503', async () => {
    const s = server('{"not": "a bundle"}');
    expect(s.reloadBundle().status).toBe('refused');
    expect((await s.app.inject({ url: '/healthz' })).statusCode).toBe(200);
    const ready = await s.app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toEqual({ status: 'no-valid-bundle' });
    const r = await s.app.inject({ method: 'POST', url: PATHS.validate, payload: review({ object: pod('web', [COMPLIANT_CONTAINER]) }) });
    expect(r.statusCode).toBe(503);
    expect(r.json().message).toContain('no valid rule bundle');
    await s.app.close();
  });

  it('routes each webhook path to its own policies and only those', async () => {
    const bundle = testBundle();
    const s = server(prettyCanonicalJson(bundle), bundleHash(bundle));
    expect(s.reloadBundle().status).toBe('loaded');
    expect(s.ready).toBe(true);
    const bare = review({ object: pod('web', [{ name: 'app', image: 'registry.example.com/team/app:1' }]) });
    const validate = (await s.app.inject({ method: 'POST', url: PATHS.validate, payload: bare })).json().response;
    const mutate = (await s.app.inject({ method: 'POST', url: PATHS.mutate, payload: bare })).json().response;
    const audit = (await s.app.inject({ method: 'POST', url: PATHS.audit, payload: bare })).json().response;
    expect(validate.allowed).toBe(false);
    expect(validate.status.message).toContain('[resource-limits/');
    expect(validate.status.message).not.toContain('[resource-audit/');
    expect(mutate.allowed).toBe(true);
    expect(mutate.patchType).toBe('JSONPatch');
    expect(audit.allowed).toBe(true);
    expect(audit.warnings.every((w: string) => w.startsWith('[resource-audit/'))).toBe(true);
    expect((await s.app.inject({ method: 'GET', url: PATHS.validate })).statusCode).toBe(404);
    await s.app.close();
  });

  it('an unchanged bundle file is not reloaded; readiness turns false when shutting down', async () => {
    const s = server(prettyCanonicalJson(testBundle()));
    expect(s.reloadBundle().status).toBe('loaded');
    expect(s.reloadBundle().status).toBe('unchanged');
    await s.app.ready();
    const closing = s.shutdown({ drainDelayMs: 200, graceMs: 2000 });
    const r = await s.app.inject({ url: '/readyz' });
    expect(r.statusCode).toBe(503);
    expect(r.json()).toEqual({ status: 'shutting-down' });
    expect(await closing).toBe(true);
  });
});
