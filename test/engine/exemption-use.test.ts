/**
 * The exemptions a decision records (`Decision.exemptions`): which exemption relieved which rule's
 * findings, entirely or partly — and nothing for one that is out of scope or expired, and no list
 * at all when no exemption applied.
 */
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../runtime/engine/evaluate';
import { daysLeft, exemptionLabel, expiresWithin } from '../../runtime/engine/exemption-use';
import { admission, ctx, exemption, policy, restrictedPod, wrap } from './fixtures';

const IMAGE = 'registry.example.com/platform/network-tools:2.1';
const netTools = (add: string[], namespace = 'platform-network'): Record<string, unknown> => {
  const pod = restrictedPod({ container: { capabilities: { drop: ['ALL'], add } } });
  (pod.spec as { containers: Array<Record<string, unknown>> }).containers[0].image = IMAGE;
  return { ...pod, metadata: { ...(pod.metadata as Record<string, unknown>), namespace } };
};
const networkTools = exemption({
  name: 'network-tools',
  owner: 'team-platform-network',
  reason: 'tcpdump needs NET_ADMIN (INC-4821)',
  expiresAt: '2027-03-31T00:00:00Z',
  namespaces: ['platform-network'],
  controls: [{ control: 'capabilities_restricted', images: ['registry.example.com/platform/network-tools'], field: 'capabilities.add', values: ['NET_ADMIN', 'NET_RAW'] }],
});
const p = policy({ mode: 'Audit', exemptions: [networkTools] });

describe('Decision.exemptions', () => {
  it('records the exemption that relieved every finding of a rule: name, owner, reason, expiry, controls', async () => {
    const d = await evaluate('validate', admission(netTools(['NET_ADMIN', 'NET_RAW'])), [p], ctx);
    expect(d.warnings).toEqual([]);
    expect(d.results.find((r) => r.rule === 'pss')?.result).toBe('exempt');
    expect(d.exemptions).toHaveLength(1);
    const [a] = d.exemptions ?? [];
    expect(a).toMatchObject({ policy: 'pod-security', rule: 'pss', ruleType: 'podSecurity', controls: ['capabilities_restricted'], relieved: 1, partial: 0 });
    expect(a.exemption).toBe(p.exemptions[0]);
    expect(a.exemption).toMatchObject({ name: 'network-tools', owner: 'team-platform-network', reason: 'tcpdump needs NET_ADMIN (INC-4821)', expiresAt: '2027-03-31T00:00:00Z' });
  });

  it('reports the Pod rule name for a controller (autogen) and counts each relieved finding', async () => {
    const pod = netTools(['NET_ADMIN']);
    const spec = pod.spec as { containers: Array<Record<string, unknown>> };
    spec.containers.push({ ...spec.containers[0], name: 'second' });
    const d = await evaluate('validate', admission({ ...wrap('Deployment', pod), metadata: { name: 'w', namespace: 'platform-network' } }), [p], ctx);
    expect(d.exemptions?.map((a) => [a.rule, a.relieved, a.partial])).toEqual([['pss', 2, 0]]);
  });

  it('records a partial relief: the rest of the finding is still reported, and the rule result is warn', async () => {
    const d = await evaluate('validate', admission(netTools(['NET_ADMIN', 'SYS_ADMIN'])), [p], ctx);
    expect(d.warnings).toHaveLength(1);
    expect(d.warnings[0].message).toContain('exempted: NET_ADMIN');
    expect(d.results.find((r) => r.rule === 'pss')?.result).toBe('warn');
    expect(d.exemptions?.map((a) => [a.exemption.name, a.relieved, a.partial])).toEqual([['network-tools', 0, 1]]);
  });

  it('records nothing (no list at all) when the exemption is out of scope, expired, or not needed', async () => {
    const outOfScope = await evaluate('validate', admission(netTools(['NET_ADMIN'], 'payments')), [p], ctx);
    expect(outOfScope.warnings).toHaveLength(1);
    expect(outOfScope.exemptions).toBeUndefined();

    const expired = await evaluate('validate', admission(netTools(['NET_ADMIN'])), [p], { ...ctx, now: new Date('2027-04-01T00:00:00Z') });
    expect(expired.warnings[0].expiredExemption).toBe('network-tools');
    expect(expired.exemptions).toBeUndefined();

    const clean = await evaluate('validate', admission(netTools([])), [p], ctx);
    expect(clean.results.find((r) => r.rule === 'pss')?.result).toBe('pass');
    expect(clean.exemptions).toBeUndefined();
  });

  it('names each of several exemptions that together relieved one finding', async () => {
    const raw = exemption({ ...networkTools, name: 'raw-sockets', owner: 'team-sre', controls: [{ control: 'capabilities_restricted', field: 'capabilities.add', values: ['SYS_ADMIN'] }] });
    const both = policy({ mode: 'Enforce', exemptions: [networkTools, raw] });
    const d = await evaluate('validate', admission(netTools(['NET_ADMIN', 'SYS_ADMIN'])), [both], ctx);
    expect(d.allowed).toBe(true);
    expect(d.exemptions?.map((a) => `${a.exemption.name}:${a.relieved}`).sort()).toEqual(['network-tools:1', 'raw-sockets:1']);
  });
});

describe('exemption vocabulary', () => {
  it('labels an exemption with owner and expiry, and counts whole days left', () => {
    expect(exemptionLabel(networkTools)).toBe('network-tools (owner team-platform-network, expires 2027-03-31T00:00:00Z)');
    expect(exemptionLabel({ ...networkTools, expiresAt: undefined })).toBe('network-tools (owner team-platform-network, never expires)');
    expect(daysLeft(networkTools, new Date('2027-03-21T00:00:00Z'))).toBe(10);
    expect(daysLeft(networkTools, new Date('2027-03-21T00:00:01Z'))).toBe(9);
    expect(daysLeft(networkTools, new Date('2027-04-01T00:00:00Z'))).toBe(-1);
    expect(daysLeft({ ...networkTools, expiresAt: undefined }, new Date())).toBeUndefined();
    const thirty = 30 * 24 * 3600 * 1000;
    expect(expiresWithin(networkTools, new Date('2027-03-21T00:00:00Z'), thirty)).toBe(true);
    expect(expiresWithin(networkTools, new Date('2026-12-31T00:00:00Z'), thirty)).toBe(false);
    expect(expiresWithin(networkTools, new Date('2027-05-01T00:00:00Z'), thirty)).toBe(true); // expired
    expect(expiresWithin({ ...networkTools, expiresAt: undefined }, new Date(), thirty)).toBe(false);
  });
});
