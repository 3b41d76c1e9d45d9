/**
 * Exemption application and messages at the unit level: value sets combining across exemptions,
 * expiry precedence, scopes, and the default "how to get an exemption" text.
 */
import { describe, expect, it } from 'vitest';
import { applyExemptions, isExpired } from '../../runtime/engine/exemptions';
import { violationMessage } from '../../runtime/engine/messages';
import { isUnchangedForRule } from '../../runtime/engine/update-relief';
import { POD_TARGET, type Rule } from '../../runtime/bundle';
import type { ContainerRef, Finding } from '../../runtime/engine/types';
import { admission, exemption, NOW, policy, restrictedPod } from './fixtures';

const container: ContainerRef = {
  kind: 'containers',
  index: 0,
  name: 'app',
  image: 'registry.example.com/tools/netshoot:1',
  container: {},
  pointer: '/spec/containers/0',
  field: 'spec.containers[0]',
};
const finding: Finding = {
  control: 'capabilities_restricted',
  container,
  field: 'spec.containers[0].securityContext.capabilities.add',
  exemptField: 'capabilities.add',
  values: ['NET_ADMIN', 'NET_RAW', 'SYS_ADMIN'],
  allowed: 'NET_BIND_SERVICE or unset',
  message: 'container "app" securityContext.capabilities.add=["NET_ADMIN","NET_RAW","SYS_ADMIN"] is not allowed',
};
const input = admission(restrictedPod());
const entry = (values: string[]) => ({ control: 'capabilities_restricted', field: 'capabilities.add', values });

describe('applyExemptions', () => {
  it('combines the values several exemptions relieve', () => {
    const p = policy({
      exemptions: [exemption({ name: 'a', controls: [entry(['NET_ADMIN'])] }), exemption({ name: 'b', controls: [entry(['NET_RAW'])] })],
    });
    const o = applyExemptions(p, finding, input, NOW);
    expect(o.kind).toBe('violation');
    if (o.kind === 'violation') {
      expect(o.finding.values).toEqual(['SYS_ADMIN']);
      expect(o.relievedValues.sort()).toEqual(['NET_ADMIN', 'NET_RAW']);
    }
    const all = policy({ exemptions: [exemption({ name: 'c', controls: [entry(['NET_ADMIN', 'NET_RAW', 'SYS_ADMIN'])] })] });
    expect(applyExemptions(all, finding, input, NOW)).toEqual({ kind: 'exempt', by: ['c'] });
  });

  it('reports an expired exemption only when no live one relieves the finding', () => {
    const expired = exemption({ name: 'old', expiresAt: '2026-01-01T00:00:00Z', controls: [{ control: 'capabilities_restricted' }] });
    const live = exemption({ name: 'new', controls: [{ control: 'capabilities_restricted' }] });
    expect(applyExemptions(policy({ exemptions: [expired, live] }), finding, input, NOW)).toEqual({ kind: 'exempt', by: ['new'] });
    const o = applyExemptions(policy({ exemptions: [expired] }), finding, input, NOW);
    expect(o.kind === 'violation' && o.expired?.name).toBe('old');
    expect(isExpired(expired, new Date('2026-01-01T00:00:00Z'))).toBe(true); // expiresAt itself is past
    expect(isExpired(expired, new Date('2025-12-31T23:59:59Z'))).toBe(false);
  });

  it('never relieves a different control or a field it does not name', () => {
    const p = policy({ exemptions: [exemption({ controls: [{ control: 'privileged' }, { control: 'capabilities_restricted', field: 'capabilities.drop' }] })] });
    expect(applyExemptions(p, finding, input, NOW).kind).toBe('violation');
  });
});

describe('violationMessage', () => {
  it('falls back to a default exemption hint naming the control and policy', () => {
    const p = { ...policy(), exemptionHelp: undefined };
    const m = violationMessage({ policy: p, rule: 'pss', finding, relievedValues: [] });
    expect(m).toBe(
      '[pod-security/pss] capabilities_restricted: container "app" securityContext.capabilities.add=["NET_ADMIN","NET_RAW","SYS_ADMIN"] is not allowed ' +
        '(allowed: NET_BIND_SERVICE or unset). To request an exemption: ask the platform team for an exemption of control "capabilities_restricted" in policy "pod-security" (owner, reason, expiry)',
    );
  });
});

describe('isUnchangedForRule', () => {
  const pss: Rule = { name: 'pss', type: 'podSecurity', level: 'restricted', version: 'latest', target: POD_TARGET };
  const labels: Rule = { name: 'labels', type: 'requireLabels', labels: [{ key: 'team' }], target: POD_TARGET };
  it('ignores labels for podSecurity but not for requireLabels', () => {
    const old = restrictedPod();
    const relabelled = structuredClone(old) as { metadata: { labels: Record<string, string> } };
    relabelled.metadata.labels.team = 'x';
    const upd = admission(relabelled, { operation: 'UPDATE', oldObject: old });
    expect(isUnchangedForRule(upd, pss)).toBe(true);
    expect(isUnchangedForRule(upd, labels)).toBe(false);
    expect(isUnchangedForRule(admission(old), pss)).toBe(false); // CREATE is always evaluated
  });
});
