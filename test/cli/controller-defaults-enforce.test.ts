/**
 * policies/fixtures/controller-defaults.yaml once resource-limits and pod-security are flipped to
 * Enforce (the reference app built with those modes) and a limit ceiling is added: a Deployment
 * without limits or seccomp profile is admitted because its Pods will get the defaults, explicit
 * choices and limits above the ceiling are denied; `portcullis test` (evaluateDocuments) and
 * `portcullis scan` (evaluateWorkload, everything as Enforce) agree. image-signatures is left out:
 * offline it can only report an error (tested with a registry elsewhere).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Policy, RequireResources } from '../../constructs';
import { createReferenceApp } from '../../policies/app';
import { config } from '../../policies/config';
import type { Bundle } from '../../runtime/bundle';
import { readFixtureFile } from '../../runtime/cli/fixtures';
import { toInputs } from '../../runtime/cli/input';
import { evaluateDocuments, type ResourceReport } from '../../runtime/cli/offline-run';
import { evaluateWorkload, prepareScanPolicies, resourceRef } from '../../runtime/report/scan-evaluate';
import { NOW, tempDir } from '../constructs/helpers';

const FIXTURE = path.resolve(__dirname, '../../policies/fixtures/controller-defaults.yaml');

function enforcedBundle(): Bundle {
  const app = createReferenceApp({ outdir: tempDir(), now: NOW }, { ...config, modes: { ...config.modes, resourceLimits: 'Enforce', podSecurity: 'Enforce' } });
  const ceilings = new Policy(app, 'resource-ceilings', { mode: 'Enforce', description: 'No container above 2 CPUs / 4Gi.' });
  new RequireResources(ceilings, 'ceiling', { limits: ['cpu', 'memory'], maxLimits: { cpu: '2', memory: '4Gi' } });
  const { bundle } = app.build();
  return { ...bundle, policies: bundle.policies.filter((p) => p.name !== 'image-signatures') };
}

const bundle = enforcedBundle();
const fixture = readFixtureFile(FIXTURE)[0];

function byName(reports: ResourceReport[], kindName: string): ResourceReport {
  const r = reports.find((x) => `${x.kind}/${x.name}` === kindName);
  if (r === undefined) throw new Error(`no report for ${kindName}`);
  return r;
}

describe('controller-defaults fixture with resource-limits and pod-security in Enforce', () => {
  it('portcullis test: the Deployment and CronJob without limits are admitted unpatched; explicit choices and limits above the ceiling are denied', async () => {
    const reports = await evaluateDocuments(toInputs(fixture.documents), bundle, { now: NOW });
    for (const name of ['Deployment/no-limits', 'CronJob/nightly-report']) {
      const r = byName(reports, name);
      expect(r.violations, name).toEqual([]);
      expect(r.patches, name).toEqual([]);
      expect(r.allowed, name).toBe(true);
    }
    const empty = byName(reports, 'Deployment/empty-limits');
    expect(empty.allowed).toBe(false);
    expect([...new Set(empty.violations.map((v) => `${v.policy}/${v.rule}/${v.control}`))].sort()).toEqual([
      'pod-security/restricted/seccompProfile_restricted',
      'resource-ceilings/ceiling/requireResources',
      'resource-limits/limits-required/requireResources',
    ]);
    const over = byName(reports, 'Deployment/over-ceiling');
    expect(over.allowed).toBe(false);
    expect(over.violations.map((v) => v.message)).toEqual([
      expect.stringContaining('[resource-ceilings/ceiling] requireResources: container "app" resources.limits.cpu=4 is not allowed: it exceeds the ceiling 2'),
      expect.stringContaining('resources.limits.memory=8Gi is not allowed: it exceeds the ceiling 4Gi'),
    ]);
  });

  it('portcullis scan: the same workloads would (not) be blocked', async () => {
    const scan = prepareScanPolicies(bundle, { asEnforce: true, verifyImages: false });
    const blocked: Record<string, boolean> = {};
    for (const doc of toInputs(fixture.documents)) {
      const ref = resourceRef(doc.input.object);
      if (ref === undefined || doc.kind === 'Namespace') continue;
      const result = await evaluateWorkload(doc.input.object, { ...doc.input, dryRun: true }, ref, scan, { now: NOW });
      blocked[`${doc.kind}/${doc.name}`] = result.blocked;
    }
    expect(blocked).toEqual({
      'Deployment/no-limits': false,
      'CronJob/nightly-report': false,
      'Deployment/empty-limits': true,
      'Deployment/over-ceiling': true,
    });
  });
});
