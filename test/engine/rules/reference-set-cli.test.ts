/**
 * The reference policy set through `portcullis test` (the CLI's runTest: read manifests, mutate,
 * apply, validate, report), over a realistic set of good and bad workloads written as YAML, in the
 * shipped modes and flipped to Enforce.
 *
 * image-signatures is taken out of the bundle for the verdict runs: its key and CI identity sign
 * images in the team's real registry, which does not exist here (the image-signature tests cover
 * verification against a real registry). One run keeps it, offline, to show that an unverified
 * image is reported as skipped (signatures not checked), not as an error, a denial or a pass.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadBundle, prettyCanonicalJson, validateBundle, type Bundle } from '../../../runtime/bundle';
import type { ResourceReport } from '../../../runtime/cli/offline-run';
import { runTest } from '../../../runtime/cli/test-command';
import { getPointer } from '../../../runtime/engine/pod-view';
import { applyPatch, type Operation } from 'fast-json-patch';
import { parseAllDocuments } from 'yaml';

const DIST = path.resolve(__dirname, '../../../dist/portcullis-bundle.json');
const NOW = new Date('2026-12-01T00:00:00Z');
const DIGEST = `sha256:${'ab12'.repeat(16)}`;
const IMAGE = `registry.payments.example.com/payments/api:1.4.2@${DIGEST}`;

const WORKLOADS = `
apiVersion: v1
kind: Namespace
metadata: {name: payments, labels: {payments.example.com/environment: production}}
---
apiVersion: v1
kind: Namespace
metadata: {name: observability, labels: {payments.example.com/environment: production}}
---
apiVersion: v1
kind: Namespace
metadata: {name: sandbox}
---
# good: restricted, team registry by digest, labelled; resources and seccomp come from the defaults
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: payments}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata:
      labels: {app: api, owner: alice, team: payments, version: 1.4.2, environment: production}
    spec:
      containers:
      - name: api
        image: ${IMAGE}
        securityContext: {allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: {drop: [ALL]}}
---
# good: explicit resources within reason, only a 50m cpu limit on the sidecar
apiVersion: batch/v1
kind: CronJob
metadata: {name: report, namespace: payments}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        metadata:
          labels: {owner: alice, team: payments, version: v2.0.0-rc.1, environment: production}
        spec:
          restartPolicy: Never
          securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
          containers:
          - name: report
            image: ${IMAGE}
            resources: {requests: {cpu: 250m, memory: 256Mi}, limits: {cpu: "1", memory: 1Gi}}
            securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
          - name: shipper
            image: ${IMAGE}
            resources: {limits: {cpu: 50m}}
            securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
---
# good: the node log collector reads /var/log read-only under its exemption
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: log-collector, namespace: observability, labels: {app.kubernetes.io/name: log-collector}}
spec:
  selector: {matchLabels: {app.kubernetes.io/name: log-collector}}
  template:
    metadata:
      labels: {app.kubernetes.io/name: log-collector, owner: obs, team: observability, version: 3.1.0, environment: production}
    spec:
      volumes: [{name: logs, hostPath: {path: /var/log}}]
      containers:
      - name: collector
        image: ${IMAGE}
        volumeMounts: [{name: logs, mountPath: /host/logs, readOnly: true}]
        securityContext: {allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: {drop: [ALL]}}
---
# good: labels are only required in production namespaces
apiVersion: apps/v1
kind: Deployment
metadata: {name: scratch, namespace: sandbox}
spec:
  selector: {matchLabels: {app: scratch}}
  template:
    metadata: {labels: {app: scratch}}
    spec:
      containers:
      - name: scratch
        image: ${IMAGE}
        securityContext: {allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: {drop: [ALL]}}
---
# bad: a CI runner that wants the host's docker socket
apiVersion: v1
kind: Pod
metadata:
  name: ci-runner
  namespace: payments
  labels: {owner: bob, team: Payments Team, version: latest, environment: prod}
spec:
  hostPID: true
  volumes: [{name: sock, hostPath: {path: /var/log/../run/docker.sock}}]
  containers:
  - name: runner
    image: docker:latest
    resources: {limits: {}}
    volumeMounts: [{name: sock, mountPath: /var/run/docker.sock}]
    securityContext: {allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: {drop: [ALL]}}
---
# bad: an image from a lookalike registry host
apiVersion: apps/v1
kind: Deployment
metadata: {name: lookalike, namespace: payments}
spec:
  selector: {matchLabels: {app: lookalike}}
  template:
    metadata:
      labels: {app: lookalike, owner: eve, team: payments, version: 1.0.0, environment: production}
    spec:
      containers:
      - name: app
        image: registry.payments.example.com.evil.io/payments/api:1.4.2@${DIGEST}
        securityContext: {allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: {drop: [ALL]}}
---
# bad: a malformed memory limit and a writable hostPath outside the allow-list
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: cache, namespace: payments}
spec:
  serviceName: cache
  selector: {matchLabels: {app: cache}}
  template:
    metadata:
      labels: {app: cache, owner: carol, team: payments, version: 7.2.4, environment: production}
    spec:
      hostNetwork: true
      volumes: [{name: data, hostPath: {path: /var/lib/cache}}]
      containers:
      - name: cache
        image: ${IMAGE}
        resources: {limits: {memory: 2 Gi}}
        volumeMounts: [{name: data, mountPath: /data}]
        securityContext: {allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: {drop: [ALL]}}
`;

const GOOD = ['Deployment/payments/api', 'CronJob/payments/report', 'DaemonSet/observability/log-collector', 'Deployment/sandbox/scratch'];
const BAD: Record<string, string[]> = {
  'Pod/payments/ci-runner': [
    'resource-limits/limits-required requireResources',
    'pod-security/restricted hostNamespaces',
    'pod-security/restricted restrictedVolumes',
    'image-references/team-registry-only allowedRegistries',
    'image-references/digest-only requireDigest',
    'image-references/no-latest disallowLatestTag',
    'host-isolation/approved-host-paths hostPaths',
    'host-isolation/no-runtime-socket denyRuntimeSocket',
    'host-isolation/no-host-namespaces hostNamespaces',
    'required-labels/ownership-labels requireLabels',
    'required-labels/ownership-labels requireLabels',
    'required-labels/ownership-labels requireLabels',
  ],
  'Deployment/payments/lookalike': ['image-references/team-registry-only allowedRegistries'],
  'StatefulSet/payments/cache': [
    'resource-limits/limits-required requireResources',
    'pod-security/restricted hostNamespaces',
    'pod-security/restricted restrictedVolumes',
    'host-isolation/approved-host-paths hostPaths',
    'host-isolation/no-host-namespaces hostNamespaces',
  ],
};

let dir: string;
let workloads: string;
let shipped: string;
let enforced: string;
let full: string;

function writeBundle(name: string, b: Bundle): string {
  const file = path.join(dir, name);
  writeFileSync(file, prettyCanonicalJson(validateBundle(b).bundle));
  return file;
}

/** The dist bundle without one policy (and without the webhooks that then serve nothing). */
function without(b: Bundle, policy: string): Bundle {
  return {
    ...b,
    policies: b.policies.filter((p) => p.name !== policy),
    webhooks: b.webhooks
      .map((w) => ({ ...w, policies: w.policies.filter((p) => p !== policy) }))
      .filter((w) => w.policies.length > 0),
  };
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'portcullis-reference-'));
  workloads = path.join(dir, 'workloads.yaml');
  writeFileSync(workloads, WORKLOADS);
  full = DIST;
  const dist = loadBundle(readFileSync(DIST)).bundle;
  const set = without(dist, 'image-signatures');
  shipped = writeBundle('shipped.json', set);
  enforced = writeBundle('enforced.json', { ...set, policies: set.policies.map((p) => ({ ...p, mode: 'Enforce' })) });
});

async function run(bundle: string): Promise<{ exitCode: number; reports: Map<string, ResourceReport> }> {
  const r = await runTest({ files: [workloads], bundle, output: 'json', now: NOW, offline: true });
  const reports = JSON.parse(r.stdout) as ResourceReport[];
  return { exitCode: r.exitCode, reports: new Map(reports.map((x) => [`${x.kind}/${x.namespace}/${x.name}`, x])) };
}

/** The manifest as written in WORKLOADS, with the report's patches applied (RFC 6902, validated). */
function patchedManifest(kind: string, name: string, report: ResourceReport): unknown {
  const docs = parseAllDocuments(WORKLOADS).map((d) => d.toJS() as { kind: string; metadata: { name: string } });
  const doc = docs.find((d) => d.kind === kind && d.metadata.name === name)!;
  return applyPatch(doc, report.patches as Operation[], true, false).newDocument;
}

const named = (list: ResourceReport['violations']): string[] => list.map((v) => `${v.policy}/${v.rule} ${v.control}`).sort();

describe('portcullis test: the reference policy set over realistic workloads', () => {
  it('shipped modes: everything is admitted; good workloads are clean, bad ones warned in full', async () => {
    const { exitCode, reports } = await run(shipped);
    expect(exitCode).toBe(0);
    expect([...reports.keys()].sort()).toEqual([...GOOD, ...Object.keys(BAD)].sort());
    for (const key of GOOD) {
      const r = reports.get(key)!;
      expect(r.errors, key).toEqual([]);
      expect(named(r.warnings), key).toEqual([]);
      expect(r.allowed, key).toBe(true);
    }
    for (const [key, expected] of Object.entries(BAD)) {
      const r = reports.get(key)!;
      expect(r.allowed, key).toBe(true);
      expect(named(r.warnings), key).toEqual([...expected].sort());
    }
  });

  it('the CLI leaves controller templates as written (no GitOps drift) and reports the patches Pods get: defaults only where absent', async () => {
    const { reports } = await run(shipped);
    for (const key of ['Deployment/payments/api', 'CronJob/payments/report', 'DaemonSet/observability/log-collector', 'Deployment/sandbox/scratch']) {
      expect(reports.get(key)!.patches, key).toEqual([]);
    }
    // Judged as their Pods will be after the defaults: no limits warning on the api Deployment.
    expect(reports.get('Deployment/payments/api')!.warnings.filter((w) => w.policy === 'resource-limits')).toEqual([]);
    const runner = patchedManifest('Pod', 'ci-runner', reports.get('Pod/payments/ci-runner')!);
    expect(getPointer(runner, '/spec/containers/0/resources')).toEqual({ limits: {}, requests: { cpu: '100m', memory: '128Mi' } });
  });

  it('all policies in Enforce: good workloads admitted, bad ones denied naming every violation, exit code 1', async () => {
    const { exitCode, reports } = await run(enforced);
    expect(exitCode).toBe(1);
    for (const key of GOOD) expect(reports.get(key)!.allowed, key).toBe(true);
    for (const [key, expected] of Object.entries(BAD)) {
      const r = reports.get(key)!;
      expect(r.allowed, key).toBe(false);
      expect(named(r.violations), key).toEqual([...expected].sort());
      expect(r.violations.every((v) => v.message.includes('To request an exemption: https://github.com/payments-example/'))).toBe(true);
    }
    const cache = reports.get('StatefulSet/payments/cache')!;
    expect(cache.violations.find((v) => v.control === 'requireResources')!.message).toContain(
      'container "cache" resources.limits.memory=2 Gi is not a valid quantity',
    );
  });

  it('with image-signatures kept, offline: team images are skipped (signatures not checked), not errors or denials', async () => {
    const { exitCode, reports } = await run(full);
    expect(exitCode).toBe(0);
    const api = reports.get('Deployment/payments/api')!;
    expect(api.errors).toEqual([]);
    expect(api.allowed).toBe(true);
    expect(api.skipped).toEqual([
      { policy: 'image-signatures', rule: 'signed-by-ci', reason: expect.stringMatching(/^offline: signatures not checked: container "api" image=registry\.payments\.example\.com\//) as string },
      { policy: 'image-provenance', rule: 'built-by-ci', reason: expect.stringMatching(/^offline: attestations not checked: container "api" image=registry\.payments\.example\.com\//) as string },
    ]);
  });
});
