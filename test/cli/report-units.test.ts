/** The pure report modules on hand-made inputs: folding, PolicyReport bounds, markdown safety. */
import { describe, expect, it } from 'vitest';
import type { Violation } from '../../runtime/engine/types';
import { buildPolicyReports } from '../../runtime/report/policy-report';
import { ScanAccumulator } from '../../runtime/report/scan-aggregate';
import type { WorkloadResult } from '../../runtime/report/scan-evaluate';
import { codeSpan, toMarkdown, toText } from '../../runtime/report/sentence';
import { documentTexts, listUnits, objectsOf, parseDocument } from '../../runtime/report/documents';

function violation(policy: string, rule: string, message = `[${policy}/${rule}] x: not allowed`): Violation {
  return { policy, rule, ruleType: 'podSecurity', control: 'privileged', mode: 'Enforce', field: 'spec.containers[0].securityContext.privileged', container: 'app', message };
}

function workload(kind: string, name: string, extra: Partial<WorkloadResult> = {}, ns = 'apps'): WorkloadResult {
  const violations = extra.violations ?? [violation('pod-security', 'restricted')];
  return {
    ref: { apiVersion: kind === 'Pod' ? 'v1' : 'apps/v1', kind, name, namespace: ns },
    violations,
    warnings: [],
    exemptions: [],
    errors: [],
    blocked: violations.length > 0,
    results: [{ policy: 'pod-security', rule: 'restricted', ruleType: 'podSecurity', result: violations.length > 0 ? 'fail' : 'pass' }],
    ...extra,
  };
}

describe('ScanAccumulator folding', () => {
  const modes = new Map([['pod-security', 'Audit' as const]]);

  it('folds a pod into the Deployment its ReplicaSet is named after, only with the matching pod-template-hash', () => {
    const acc = new ScanAccumulator(false);
    acc.add(workload('Pod', 'web-5d9f7c-abcde', { owner: { kind: 'ReplicaSet', name: 'web-5d9f7c' }, podTemplateHash: '5d9f7c' }));
    acc.add(workload('Pod', 'web-xyz-abcde', { owner: { kind: 'ReplicaSet', name: 'web-xyz' }, podTemplateHash: '5d9f7c' }));
    acc.add(workload('Deployment', 'web'));
    const r = acc.finish(modes);
    expect(r.counts).toMatchObject({ workloads: 2, folded: 1, blocked: 2 });
    expect(r.workloads.map((w) => w.ref.name).sort()).toEqual(['web', 'web-xyz-abcde']);
    expect(r.rules).toEqual([
      { policy: 'pod-security', rule: 'restricted', ruleType: 'podSecurity', bundleMode: 'Audit', workloads: 2, findings: 2, errors: 0, namespaces: ['apps'] },
    ]);
  });

  it('folds Jobs into their CronJob and pods into their Job, but not across namespaces', () => {
    const acc = new ScanAccumulator(false);
    acc.add(workload('Pod', 'report-123-p', { owner: { kind: 'Job', name: 'report-123' } }));
    acc.add(workload('Job', 'report-123', { owner: { kind: 'CronJob', name: 'report' } }));
    acc.add(workload('CronJob', 'report'));
    acc.add(workload('Pod', 'other-ns', { owner: { kind: 'Job', name: 'report-123' } }, 'elsewhere'));
    const r = acc.finish(modes);
    expect(r.counts).toMatchObject({ workloads: 2, folded: 2 });
    expect(r.namespaces.map((n) => [n.namespace, n.workloads, n.blocked])).toEqual([
      ['apps', 1, 1],
      ['elsewhere', 1, 1],
    ]);
  });

  it('counts passing workloads per namespace without keeping them, unless asked to', () => {
    const lean = new ScanAccumulator(false);
    lean.add(workload('Deployment', 'ok', { violations: [] }));
    lean.add(workload('Deployment', 'bad'));
    const r = lean.finish(modes);
    expect(r.workloads.map((w) => w.ref.name)).toEqual(['bad']);
    expect(r.namespaces).toEqual([{ namespace: 'apps', workloads: 2, blocked: 1, findings: 1, rules: [{ policy: 'pod-security', rule: 'restricted', workloads: 1 }] }]);
    const full = new ScanAccumulator(true);
    full.add(workload('Deployment', 'ok', { violations: [] }));
    expect(full.finish(modes).workloads.map((w) => w.ref.name)).toEqual(['ok']);
  });
});

describe('buildPolicyReports', () => {
  const modes = new Map([['pod-security', 'Enforce' as const]]);
  const options = { now: new Date('2026-01-01T00:00:00Z'), includePasses: false, maxBytes: 8192, namePrefix: 'scan' };

  it('truncates a result that could never fit, and keeps every report under the bound', () => {
    const acc = new ScanAccumulator(false);
    acc.add(workload('Deployment', 'huge', { violations: [violation('pod-security', 'restricted', 'x'.repeat(50_000))] }));
    acc.add(workload('Deployment', 'small'));
    const reports = buildPolicyReports(acc.finish(modes), modes, options);
    expect(reports.map((r) => r.metadata.name)).toEqual(['scan-apps-1', 'scan-apps-2']);
    for (const r of reports) expect(Buffer.byteLength(JSON.stringify(r))).toBeLessThanOrEqual(8192);
    const huge = reports.flatMap((r) => r.results).find((x) => x.resources[0].name === 'huge');
    expect(huge?.message.endsWith('… (truncated)')).toBe(true);
  });

  it('writes a ClusterPolicyReport for cluster-scoped resources and reports errors as error results', () => {
    const acc = new ScanAccumulator(false);
    const w = workload('Pod', 'p', { violations: [], blocked: true, errors: [{ policy: 'pod-security', rule: 'restricted', message: 'boom' }] });
    delete w.ref.namespace;
    acc.add(w);
    const [report] = buildPolicyReports(acc.finish(modes), modes, options);
    expect(report.kind).toBe('ClusterPolicyReport');
    expect(report.metadata).toEqual({ name: 'scan-cluster', labels: { 'app.kubernetes.io/managed-by': 'portcullis', 'portcullis.dev/report': 'scan' } });
    expect(report.summary).toEqual({ pass: 0, fail: 0, warn: 0, error: 1, skip: 0 });
    expect(report.results[0]).toMatchObject({ result: 'error', message: '[pod-security/restricted] could not be evaluated: boom', properties: { mode: 'Enforce' } });
  });
});

describe('sentences', () => {
  it('quotes literals in text and code-spans them in markdown, surviving backticks and markdown syntax', () => {
    const s = ['Rule ', { code: 'a`b' }, ' allows *everything* from ', { code: 'docker.io/**' }];
    expect(toText(s)).toBe('Rule "a`b" allows *everything* from "docker.io/**"');
    expect(toMarkdown(s)).toBe('Rule ``a`b`` allows \\*everything\\* from `docker.io/**`');
    expect(codeSpan('`x`')).toBe('`` `x` ``');
  });
});

describe('document stream', () => {
  async function* lines(text: string) {
    for (const l of text.split('\n')) yield await Promise.resolve(l);
  }
  it('splits YAML at document markers, skips empty documents and expands Lists and AdmissionReviews', async () => {
    const text = [
      '%YAML 1.2',
      '---',
      '# only a comment',
      '--- {"kind":"Pod","apiVersion":"v1","metadata":{"name":"inline"}}',
      '---',
      'apiVersion: v1',
      'kind: List',
      'items:',
      '  - {apiVersion: v1, kind: Pod, metadata: {name: a}}',
      '  - {apiVersion: v1, kind: Pod, metadata: {name: b}}',
      '...',
      '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"object":{"kind":"Pod","metadata":{"name":"c"}}}}',
    ].join('\n');
    const names: string[] = [];
    for await (const doc of documentTexts(lines(text))) {
      for (const o of objectsOf(parseDocument(doc))) names.push((o as { metadata: { name: string } }).metadata.name);
    }
    expect(names).toEqual(['inline', 'a', 'b', 'c']);
  });

  it('keeps unquoted timestamps as strings, resolves anchors, and refuses alias bombs', () => {
    expect(parseDocument('metadata: {creationTimestamp: 2026-10-01T09:00:00Z, on: yes}')).toEqual({
      metadata: { creationTimestamp: '2026-10-01T09:00:00Z', on: 'yes' },
    });
    expect(parseDocument('a: &x {k: v}\nb: *x')).toEqual({ a: { k: 'v' }, b: { k: 'v' } });
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i += 1) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
    expect(() => parseDocument(bomb.join('\n'))).toThrow(/alias/i);
  });

  it('cuts a YAML List into items at the text level (kubectl and indented styles), one parse per item', () => {
    const kubectl = [
      'apiVersion: v1',
      'items:',
      '- apiVersion: v1',
      '  kind: Pod',
      '  metadata:',
      '    name: a',
      '    annotations:',
      '      note: |',
      '        - not an item',
      '        kind: not a key',
      '# a comment between items',
      '- {apiVersion: v1, kind: Pod, metadata: {name: b}}',
      'kind: List',
      'metadata:',
      '  resourceVersion: ""',
    ];
    const units = [...listUnits(kubectl)];
    expect(units).toHaveLength(2);
    expect(units.map((u) => parseDocument(u))).toEqual([
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', annotations: { note: '- not an item\nkind: not a key\n' } } },
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'b' } },
    ]);
    const indented = ['kind: PodList', 'items:', '  - kind: Pod', '    metadata: {name: c}', '  - kind: Pod', '    metadata: {name: d}'];
    expect([...listUnits(indented)].map((u) => (parseDocument(u) as { metadata: { name: string } }).metadata.name)).toEqual(['c', 'd']);
    // not a List: a top-level items key stays part of its document
    const custom = ['kind: Inventory', 'items:', '- a', '- b'];
    expect([...listUnits(custom)]).toEqual([custom.join('\n')]);
    expect([...listUnits(['kind: List', 'items: []'])]).toEqual(['kind: List\nitems: []']);
  });
});
