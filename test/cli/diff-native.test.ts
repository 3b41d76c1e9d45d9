/**
 * `portcullis diff` on a change of enforcement (webhook → hybrid and back): rules moving into the
 * API server are reported as moves (neutral: same verdicts), and the validating webhook receiving
 * less because of it is not reported as looser.
 */
import { describe, expect, it } from 'vitest';
import { Exemption, HostNamespaces, Policy, PodSecurity, RequireLabels, type PortcullisApp } from '../../constructs';
import type { Bundle } from '../../runtime/bundle';
import { diffBundles } from '../../runtime/report/bundle-diff';
import { toText } from '../../runtime/report/sentence';
import { newApp } from '../constructs/helpers';

function bundleOf(enforcement: 'webhook' | 'hybrid'): Bundle {
  const app: PortcullisApp = newApp({ enforcement });
  const iso = new Policy(app, 'host-isolation', { mode: 'Enforce' });
  new HostNamespaces(iso, 'no-host-namespaces');
  const pss = new Policy(app, 'pod-security', { mode: 'Enforce', enforcement: 'webhook' });
  new PodSecurity(pss, 'restricted', { level: 'restricted' });
  return app.build().bundle;
}

const NOW = new Date('2026-06-01T00:00:00Z');

describe('portcullis diff: enforcement moves', () => {
  it('reports rules moving into the API server as a move, and the narrower webhook as neutral', () => {
    const d = diffBundles(bundleOf('webhook'), bundleOf('hybrid'), { now: NOW });
    const lines = d.changes.map((c) => `${c.kind} ${c.direction}: ${toText(c.sentence)}`);
    expect(lines).toContain(
      'enforcement-moved neutral: Policy "host-isolation" rule "no-host-namespaces" moves from the webhook to the ValidatingAdmissionPolicy "portcullis-host-isolation" inside the API server (Kubernetes 1.30+): same verdicts and messages, but enforced even when the webhook is down or slow (until now failurePolicy Fail decided then).',
    );
    expect(d.summary.looser).toBe(0);
    expect(d.summary.stricter).toBe(0);
    expect(d.changes.every((c) => c.direction === 'neutral')).toBe(true);
  });

  it('reports the way back to the webhook with the failurePolicy that then decides', () => {
    const d = diffBundles(bundleOf('hybrid'), bundleOf('webhook'), { now: NOW });
    const moved = d.changes.filter((c) => c.kind === 'enforcement-moved').map((c) => toText(c.sentence));
    expect(moved).toEqual([
      'Policy "host-isolation" rule "no-host-namespaces" moves from the ValidatingAdmissionPolicy back to the webhook: same verdicts and messages, but when the webhook cannot answer, failurePolicy Fail decides (denied).',
    ]);
  });
});

describe('portcullis diff: namespaces the webhook keeps for expiring exemptions', () => {
  it('says where a native rule stays on the webhook, and when it no longer does', () => {
    const build = (withExemption: boolean): Bundle => {
      const app: PortcullisApp = newApp({ enforcement: 'hybrid' });
      const policy = new Policy(app, 'labels', { mode: 'Enforce' });
      new RequireLabels(policy, 'owner', { labels: [{ key: 'owner' }] });
      if (withExemption) {
        new Exemption(app, 'migration', {
          policies: [policy],
          namespaces: ['legacy'],
          controls: [{ control: 'requireLabels' }],
          owner: 'team-platform',
          reason: 'labels added during the migration (INC-3)',
          expiresAt: '2027-01-31T00:00:00Z',
        });
      }
      return app.build().bundle;
    };
    const added = diffBundles(build(false), build(true), { now: NOW }).changes.filter((c) => c.kind === 'enforcement-moved').map((c) => toText(c.sentence));
    expect(added).toEqual([
      'Policy "labels" rule "owner" stays on the webhook in namespace legacy (its expiring exemptions end on time only there: CEL has no clock); the API server enforces it elsewhere.',
    ]);
    const removed = diffBundles(build(true), build(false), { now: NOW }).changes.filter((c) => c.kind === 'enforcement-moved').map((c) => toText(c.sentence));
    expect(removed).toEqual(['Policy "labels" rule "owner" is now enforced natively in every namespace (no expiring exemption keeps one on the webhook).']);
  });
});
