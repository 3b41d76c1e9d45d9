/**
 * `portcullis_exemption_expiry_timestamp_seconds{policy,exemption,owner}`: one series per exemption
 * with an expiry in the bundle being served, replaced at every bundle load (so the label values are
 * bounded by the bundle), on the server's own /metrics.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prettyCanonicalJson, type Bundle, type Exemption } from '../../runtime/bundle';
import { ServerMetrics } from '../../runtime/server/metrics';
import { PortcullisServer } from '../../runtime/server/server';
import { podPolicy, validBundle, webhook, withAutogen } from '../helpers/bundles';
import { createTestPki, type TestPki } from '../helpers/tls';

let pki: TestPki;
let dir: string;

beforeAll(() => {
  pki = createTestPki();
  dir = mkdtempSync(join(tmpdir(), 'portcullis-exemption-metrics-'));
});
afterAll(() => {
  pki.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const exemption = (name: string, owner: string, expiresAt?: string): Exemption => ({
  name,
  owner,
  reason: 'test',
  namespaces: ['team-a'],
  controls: [{ control: 'requireResources' }],
  ...(expiresAt === undefined ? {} : { expiresAt }),
});

function bundleWith(exemptions: Record<string, Exemption[]>): Bundle {
  const names = Object.keys(exemptions);
  return validBundle(
    'exemption-metrics',
    names.map((name) =>
      podPolicy({
        name,
        mode: 'Enforce',
        failurePolicy: 'Fail',
        rules: withAutogen('limits', { type: 'requireResources', limits: ['cpu'], requests: [] }),
        exemptions: exemptions[name],
      }),
    ),
    [webhook({ path: '/validate/fail-10s', type: 'validating', failurePolicy: 'Fail', policies: names })],
  );
}

/** The exemption expiry samples of a scrape, `labels → value`. */
function expirySamples(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^portcullis_exemption_expiry_timestamp_seconds\{(.*)\} (\S+)$/.exec(line);
    if (m !== null) out[m[1]] = Number(m[2]);
  }
  return out;
}

describe('portcullis_exemption_expiry_timestamp_seconds', () => {
  it('has one series per exemption with an expiry of the served bundle, replaced on reload', async () => {
    const bundlePath = join(dir, 'bundle.json');
    writeFileSync(
      bundlePath,
      prettyCanonicalJson(
        bundleWith({
          'limits-a': [exemption('batch-jobs', 'team-batch', '2027-03-31T00:00:00Z'), exemption('forever', 'team-legacy')],
          'limits-b': [exemption('batch-jobs', 'team-data', '2026-12-01T12:30:00+01:00')],
        }),
      ),
    );
    const server = new PortcullisServer({ bundlePath, tlsCertPath: pki.certPath, tlsKeyPath: pki.keyPath, logger: false, watch: false });
    expect(server.reloadBundle().status).toBe('loaded');
    const scrape = async (): Promise<string> => (await server.app.inject({ url: '/metrics' })).body;
    const first = await scrape();
    expect(first).toContain('# TYPE portcullis_exemption_expiry_timestamp_seconds gauge');
    expect(expirySamples(first)).toEqual({
      'policy="limits-a",exemption="batch-jobs",owner="team-batch"': Date.parse('2027-03-31T00:00:00Z') / 1000,
      'policy="limits-b",exemption="batch-jobs",owner="team-data"': Date.parse('2026-12-01T11:30:00Z') / 1000,
    });

    // A reload replaces the set: removed exemptions lose their series.
    writeFileSync(bundlePath, prettyCanonicalJson(bundleWith({ 'limits-b': [exemption('renewed', 'team-data', '2028-01-01T00:00:00Z')] })));
    expect(server.reloadBundle().status).toBe('loaded');
    expect(expirySamples(await scrape())).toEqual({ 'policy="limits-b",exemption="renewed",owner="team-data"': Date.parse('2028-01-01T00:00:00Z') / 1000 });

    // A refused bundle leaves the served bundle's series as they were.
    writeFileSync(bundlePath, '{"not": "a bundle"}');
    expect(server.reloadBundle().status).toBe('refused');
    expect(Object.keys(expirySamples(await scrape()))).toEqual(['policy="limits-b",exemption="renewed",owner="team-data"']);
    await server.app.close();
  });

  it('exemptionsLoaded ignores exemptions without an expiry and clears a bundle without exemptions', async () => {
    const metrics = new ServerMetrics({ defaultMetrics: false });
    metrics.exemptionsLoaded([{ name: 'p', exemptions: [exemption('a', 'o', '2027-01-01T00:00:00Z'), exemption('b', 'o')] }]);
    expect(Object.keys(expirySamples((await metrics.render()).body))).toEqual(['policy="p",exemption="a",owner="o"']);
    metrics.exemptionsLoaded([{ name: 'p', exemptions: [] }]);
    expect(expirySamples((await metrics.render()).body)).toEqual({});
  });
});
