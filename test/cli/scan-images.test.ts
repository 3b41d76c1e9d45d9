/**
 * `portcullis scan --verify-images` with the real verifier against a real registry (Debian's
 * docker-registry on loopback) and Cosign signatures made in the test: unsigned images would be
 * blocked, signed ones pass; without the flag nothing is contacted and the skipped rule is named;
 * an unreachable registry is an evaluation error (failurePolicy Fail blocks), never a verdict.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prettyCanonicalJson } from '../../runtime/bundle';
import type { PolicyReport } from '../../runtime/report/policy-report';
import type { ScanJson } from '../../runtime/report/scan-render';
import { validBundle } from '../helpers/bundles';
import { ecKeyPair, keyLegacyLayer, pushImage, pushLegacySignatures, randomRepo, simpleSigningPayload } from '../helpers/cosign';
import { registryAvailable, registrySkipNotice, startRegistry, type RunningRegistry } from '../helpers/registry';
import { withAutogen } from './fixtures/payments-bundle';

const repoRoot = path.resolve(__dirname, '../..');
const tsx = path.join(repoRoot, 'node_modules/tsx/dist/cli.mjs');
const main = path.join(repoRoot, 'runtime/cli/main.ts');
const available = registryAvailable();
if (!available) registrySkipNotice();

function deployment(name: string, image: string) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'payments' },
    spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image }] } } },
  };
}

describe.skipIf(!available)('portcullis scan --verify-images (real registry, real verifier)', { timeout: 120_000 }, () => {
  let reg: RunningRegistry;
  let dir: string;
  let workloads: string;
  let bundleFile: string;
  const signer = ecKeyPair();

  const scan = (args: string[]) =>
    spawnSync(process.execPath, [tsx, main, 'scan', workloads, '--bundle', bundleFile, ...args], { cwd: dir, encoding: 'utf8' });

  beforeAll(async () => {
    reg = await startRegistry();
    dir = mkdtempSync(path.join(tmpdir(), 'portcullis-scan-images-'));
    const repo = randomRepo('api');
    const signed = await pushImage(reg.url, repo, 'v1', 'signed');
    await pushLegacySignatures(reg.url, repo, signed.digest, [keyLegacyLayer(signer.privateKey, simpleSigningPayload(`${reg.host}/${repo}`, signed.digest))]);
    await pushImage(reg.url, repo, 'unsigned', 'unsigned');
    const bundle = validBundle('images', [
      {
        name: 'image-signatures',
        mode: 'Audit',
        failurePolicy: 'Fail',
        timeoutSeconds: 15,
        controllers: ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob'],
        match: { kinds: ['Pod'], operations: ['CREATE', 'UPDATE'] },
        rules: withAutogen('signed-by-ci', {
          type: 'verifyImages',
          imageReferences: [`${reg.host}/**`],
          attestors: [{ entries: [{ type: 'key', name: 'ci-key', publicKey: signer.publicKeyPem }] }],
          required: true,
          mutateDigest: false,
          verifyDigest: false,
          requestTimeoutMs: 2000,
          cacheTtlSeconds: 60,
          negativeCacheTtlSeconds: 0,
          registries: [{ host: reg.host, insecure: true }],
        }),
        exemptions: [],
      },
    ]);
    bundleFile = path.join(dir, 'bundle.json');
    writeFileSync(bundleFile, prettyCanonicalJson(bundle));
    workloads = path.join(dir, 'workloads.yaml');
    writeFileSync(
      workloads,
      [deployment('signed', `${reg.host}/${repo}:v1`), deployment('unsigned', `${reg.host}/${repo}:unsigned`), deployment('public', 'nginx:1.27')]
        .map((d) => stringify(d))
        .join('---\n'),
    );
  });
  afterAll(async () => {
    await reg?.destroy();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('would block only the unsigned image', () => {
    const r = scan(['--verify-images', '-o', 'json']);
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout) as ScanJson;
    expect(out.skippedSignatureRules).toEqual([]);
    expect(out.counts).toMatchObject({ workloads: 3, blocked: 1 });
    expect(out.workloads.map((w) => [w.resource.name, w.violations.map((v) => `${v.policy}/${v.rule}:${v.ruleType}`)])).toEqual([
      ['unsigned', ['image-signatures/signed-by-ci:verifyImages']],
    ]);
  });

  it('contacts nothing without --verify-images and names the skipped rule', () => {
    const r = scan(['-o', 'json']);
    expect(r.status).toBe(0);
    expect((JSON.parse(r.stdout) as ScanJson).skippedSignatureRules).toEqual(['image-signatures/signed-by-ci']);
  });

  it('reports an unreachable registry as an error result (failurePolicy Fail blocks), not as a verdict', async () => {
    await reg.stop();
    try {
      const json = scan(['--verify-images', '-o', 'json']);
      expect(json.status).toBe(1);
      const out = JSON.parse(json.stdout) as ScanJson;
      const names = out.workloads.map((w) => w.resource.name).sort();
      expect(names).toEqual(['signed', 'unsigned']);
      for (const w of out.workloads) {
        expect(w.violations).toEqual([]);
        expect(w.blocked).toBe(true);
        expect(w.errors[0]).toMatchObject({ policy: 'image-signatures', rule: 'signed-by-ci' });
      }
      expect(out.rules).toEqual([expect.objectContaining({ policy: 'image-signatures', errors: 2, findings: 0 })]);
      const reports = parseAllDocuments(scan(['--verify-images', '-o', 'policyreport']).stdout).map((d) => d.toJS() as PolicyReport);
      expect(reports).toHaveLength(1);
      expect(reports[0].summary).toEqual({ pass: 0, fail: 0, warn: 0, error: 2, skip: 0 });
      expect(reports[0].results[0].message).toMatch(/^\[image-signatures\/signed-by-ci\] could not be evaluated: /);
    } finally {
      await reg.start();
    }
  });
});
