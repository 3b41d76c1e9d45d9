/**
 * Expiring exemptions under hybrid enforcement (runtime/native/carve-out.ts): CEL has no clock, so
 * a rule with expiring exemptions scoped to literal namespaces runs natively everywhere but there,
 * and the webhook keeps it in those namespaces (the bundle's `webhookNamespaces`) — routed only
 * there, evaluated only there, with the exemptions and their expiry. Proven at each layer: the
 * compiled CEL (equal to the engine outside the carved namespaces, silent inside), the synthesized
 * bundle and webhook configuration, and the running server.
 */
import { describe, expect, it } from 'vitest';
import { Exemption, HostNamespaces, Policy, RequireLabels, type PortcullisApp } from '../../constructs';
import { CONTROLLER_TARGETS, POD_TARGET, type Bundle, type Policy as BundlePolicy } from '../../runtime/bundle';
import { matchesLabelSelector } from '../../runtime/engine/label-selector';
import { newApp, synthError } from '../constructs/helpers';
import { pod, review } from '../server/fixtures';
import { startHarness, type Harness } from '../server/harness';
import type { NativeRequest } from './cel-harness';
import { evaluateNative } from './cel-harness';
import { compileForTest, expectEqual } from './differential';
import { requestFor } from './family-fixtures';

function app(enforcement: 'hybrid' | 'native', exemptionNamespaces?: string[]): PortcullisApp {
  const a = newApp({ enforcement });
  const policy = new Policy(a, 'host-isolation', { mode: 'Enforce' });
  new HostNamespaces(policy, 'no-host-namespaces');
  new RequireLabels(policy, 'owner', { labels: [{ key: 'owner' }] });
  new Exemption(a, 'tcpdump', {
    policies: [policy],
    ...(exemptionNamespaces !== undefined ? { namespaces: exemptionNamespaces } : {}),
    objectSelector: { matchLabels: { app: 'tcpdump' } },
    controls: [{ control: 'requireLabels' }],
    owner: 'team-network',
    reason: 'packet captures on the node network (INC-7)',
    expiresAt: '2027-01-31T00:00:00Z',
  });
  return a;
}

/** A Pod without the required `owner` label. */
const unownedPod = (name: string, namespace: string, labels: Record<string, string>): Record<string, unknown> => ({
  ...pod(name, [{ name: 'c', image: 'registry.example.com/net/tcpdump:1' }], namespace),
  metadata: { name, namespace, labels },
});

/** A CREATE of the object (its kind's target) in `namespace`. */
function request(object: Record<string, unknown>, namespace: string): NativeRequest {
  return requestFor(object, namespace) as NativeRequest;
}

describe('hybrid enforcement with an expiring exemption', () => {
  const built = app('hybrid', ['debug', 'netops']).build();
  const bundle: Bundle = built.bundle;
  const policy = bundle.policies.find((p) => p.name === 'host-isolation') as BundlePolicy;
  const compiled = compileForTest(policy);

  it('compiles the rule natively, except in the exemption namespaces, which the bundle gives to the webhook', () => {
    expect(compiled.results.map((r) => [r.rule, r.kind, r.kind === 'compiled' ? r.webhookNamespaces : r.reason])).toEqual([
      ['no-host-namespaces', 'compiled', undefined],
      ['owner', 'compiled', ['debug', 'netops']],
    ]);
    expect(policy.nativeRules).toEqual(['no-host-namespaces', 'owner']);
    expect(policy.webhookNamespaces).toEqual({ owner: ['debug', 'netops'] });
  });

  it('decides as the engine outside the carved namespaces and leaves the carved ones to the webhook', () => {
    const objects = compiled.objects;
    if (objects === undefined) throw new Error('nothing compiled');
    for (const t of [POD_TARGET, CONTROLLER_TARGETS.Deployment]) {
      for (const labels of [{ app: 'tcpdump' }, { app: 'other' }]) {
        const p = unownedPod('net', 'payments', labels);
        const object =
          t.kind === 'Pod' ? p : { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'net', namespace: 'payments', labels }, spec: { template: { metadata: p.metadata, spec: p.spec } } };
        // Outside: the expiring exemption never applies there, so the CEL without it is exact.
        const outside = expectEqual(policy, compiled, request(object, 'payments'));
        expect(Object.keys(outside.native)).toEqual(['owner']);
        // Inside: the webhook decides (with the exemption and its expiry); the CEL says nothing.
        const inside = evaluateNative(objects, request({ ...object, metadata: { ...(object.metadata as object), namespace: 'debug' } }, 'debug'));
        expect(inside.failures).toEqual([]);
      }
    }
  });

  it('routes the webhook only to the carved namespaces, and evaluates the rule only there', async () => {
    const validating = bundle.webhooks.filter((w) => w.type === 'validating');
    expect(validating).toHaveLength(1);
    const selector = validating[0].namespaceSelector;
    expect(['debug', 'netops'].map((ns) => matchesLabelSelector(selector, { 'kubernetes.io/metadata.name': ns }))).toEqual([true, true]);
    expect(matchesLabelSelector(selector, { 'kubernetes.io/metadata.name': 'payments' })).toBe(false);
    const h: Harness = await startHarness(built.json, { now: () => new Date('2026-06-01T00:00:00Z') });
    try {
      const send = async (object: Record<string, unknown>) => {
        const r = await h.post(validating[0].path, review({ object }));
        return r.json.response as { allowed: boolean; status?: { message?: string }; auditAnnotations?: Record<string, string> };
      };
      const exempted = await send(unownedPod('tcpdump', 'debug', { app: 'tcpdump' }));
      expect(exempted.allowed).toBe(true);
      expect(exempted.auditAnnotations?.['host-isolation.exemptions']).toMatch(/^tcpdump \(owner team-network, expires 2027-01-31T00:00:00Z\)/);
      const denied = await send(unownedPod('shell', 'debug', { app: 'shell' }));
      expect(denied.allowed).toBe(false);
      expect(denied.status?.message).toContain('[host-isolation/owner] requireLabels: required label owner is missing from metadata.labels');
      // The rule's other namespaces belong to the ValidatingAdmissionPolicy: the webhook does not judge them.
      const elsewhere = await send(unownedPod('shell', 'payments', { app: 'shell' }));
      expect(elsewhere.allowed).toBe(true);
      expect(elsewhere.status?.message ?? '').not.toContain('owner');
    } finally {
      await h.close();
    }
  });

  it('native enforcement refuses the carve-out (the policy would still depend on the webhook)', () => {
    const err = synthError(() => app('native', ['debug']).build());
    expect(err.message).toContain("enforcement 'native': rule owner (requireLabels) has expiring exemptions, which CEL cannot end on time (no clock): the webhook would have to keep namespaces debug");
  });

  it('keeps the rule on the webhook when the expiring exemption is not scoped to literal namespaces', () => {
    const p = app('hybrid').build().bundle.policies.find((x) => x.name === 'host-isolation') as BundlePolicy;
    expect(p.nativeRules).toEqual(['no-host-namespaces']);
    const r = compileForTest(p).results.find((x) => x.rule === 'owner');
    expect(r?.kind === 'notExpressible' ? r.reason : '').toContain('exemption "tcpdump" expires at 2027-01-31T00:00:00Z: CEL in the API server has no clock, and the exemption is not scoped to a list of namespaces the webhook could keep (it has no namespaces)');
  });
});

