import { describe, expect, it } from 'vitest';
import { EPHEMERAL_CONTAINERS_TARGET, POD_TARGET } from '../../runtime/bundle';
import { applicableRules, matchesNameGlob, policyMatches } from '../../runtime/engine/match';
import { matchesLabelSelector } from '../../runtime/engine/label-selector';
import { admission, ctx, policy, restrictedPod, wrap } from './fixtures';

describe('policyMatches', () => {
  const pod = restrictedPod();

  it('evaluates CREATE and UPDATE, never DELETE or CONNECT', () => {
    const p = policy();
    expect(policyMatches(p, admission(pod), ctx)).toBe(true);
    expect(policyMatches(p, admission(pod, { operation: 'UPDATE', oldObject: pod }), ctx)).toBe(true);
    expect(policyMatches(p, admission(pod, { operation: 'DELETE' }), ctx)).toBe(false);
    expect(policyMatches(p, admission(pod, { operation: 'CONNECT' }), ctx)).toBe(false);
  });

  it('honours match.operations', () => {
    const p = policy({ match: { kinds: ['Pod'], operations: ['CREATE'] } });
    expect(policyMatches(p, admission(pod, { operation: 'UPDATE', oldObject: pod }), ctx)).toBe(false);
  });

  it('never matches the system namespaces or the runtime namespace', () => {
    const p = policy();
    for (const ns of ['kube-system', 'kube-public', 'kube-node-lease', 'portcullis-system']) {
      expect(policyMatches(p, admission(pod, { namespace: ns }), ctx)).toBe(false);
    }
  });

  it('matches kinds from match.kinds and the autogen controllers only', () => {
    const p = policy({ controllers: ['Deployment'] });
    expect(policyMatches(p, admission(wrap('Deployment', pod)), ctx)).toBe(true);
    expect(policyMatches(p, admission(wrap('DaemonSet', pod)), ctx)).toBe(false);
  });

  it('matches and excludes namespaces by name and glob', () => {
    const p = policy({ match: { kinds: ['Pod'], operations: ['CREATE'], namespaces: ['team-*'] }, exclude: { namespaces: ['team-legacy'] } });
    expect(policyMatches(p, admission(pod, { namespace: 'team-a' }), ctx)).toBe(true);
    expect(policyMatches(p, admission(pod, { namespace: 'apps' }), ctx)).toBe(false);
    expect(policyMatches(p, admission(pod, { namespace: 'team-legacy' }), ctx)).toBe(false);
  });

  it('applies namespace selectors only when namespace labels are known', () => {
    const p = policy({
      match: { kinds: ['Pod'], operations: ['CREATE'], namespaceSelector: { matchLabels: { tier: 'prod' } } },
      exclude: { namespaceSelector: { matchExpressions: [{ key: 'legacy', operator: 'Exists' }] } },
    });
    expect(policyMatches(p, admission(pod), ctx)).toBe(true); // admission: API server decided
    expect(policyMatches(p, admission(pod, { namespaceLabels: { tier: 'prod' } }), ctx)).toBe(true);
    expect(policyMatches(p, admission(pod, { namespaceLabels: { tier: 'dev' } }), ctx)).toBe(false);
    expect(policyMatches(p, admission(pod, { namespaceLabels: { tier: 'prod', legacy: 'y' } }), ctx)).toBe(false);
  });

  it('applies object selectors to the object labels (old or new on UPDATE)', () => {
    const p = policy({ match: { kinds: ['Pod'], operations: ['CREATE', 'UPDATE'], objectSelector: { matchLabels: { app: 'p' } } } });
    expect(policyMatches(p, admission(pod), ctx)).toBe(true);
    const other = { ...pod, metadata: { name: 'p', labels: { app: 'q' } } };
    expect(policyMatches(p, admission(other), ctx)).toBe(false);
    expect(policyMatches(p, admission(other, { operation: 'UPDATE', oldObject: pod }), ctx)).toBe(true);
  });
});

describe('applicableRules', () => {
  const pod = restrictedPod();
  it('selects the rule whose target is the request resource', () => {
    const p = policy();
    expect(applicableRules(p, admission(pod)).map((r) => r.name)).toEqual(['pss']);
    expect(applicableRules(p, admission(wrap('CronJob', pod))).map((r) => r.name)).toEqual(['autogen-cronjob-pss']);
  });

  it('evaluates pods/ephemeralcontainers with Pod rules unless a rule names the subresource', () => {
    const p = policy();
    const debug = admission(pod, { operation: 'UPDATE', oldObject: pod, subResource: 'ephemeralcontainers' });
    expect(applicableRules(p, debug).map((r) => r.name)).toEqual(['pss']);
    const q = policy({
      rules: [
        { name: 'pss', type: 'podSecurity', level: 'restricted', version: 'latest', target: POD_TARGET },
        { name: 'pss-debug', type: 'podSecurity', level: 'baseline', version: 'latest', target: EPHEMERAL_CONTAINERS_TARGET },
      ],
    });
    expect(applicableRules(q, debug).map((r) => r.name)).toEqual(['pss-debug']);
  });

  it('never evaluates other subresources', () => {
    const p = policy();
    expect(applicableRules(p, admission(pod, { subResource: 'status' }))).toEqual([]);
    expect(applicableRules(p, admission(pod, { subResource: 'binding' }))).toEqual([]);
  });
});

describe('selectors and globs', () => {
  it('implements every label selector operator', () => {
    const l = { a: '1', b: '2' };
    expect(matchesLabelSelector({}, l)).toBe(true);
    expect(matchesLabelSelector({ matchLabels: { a: '1' } }, l)).toBe(true);
    expect(matchesLabelSelector({ matchLabels: { a: '2' } }, l)).toBe(false);
    expect(matchesLabelSelector({ matchExpressions: [{ key: 'a', operator: 'In', values: ['1', '3'] }] }, l)).toBe(true);
    expect(matchesLabelSelector({ matchExpressions: [{ key: 'c', operator: 'In', values: ['1'] }] }, l)).toBe(false);
    expect(matchesLabelSelector({ matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['1'] }] }, l)).toBe(false);
    expect(matchesLabelSelector({ matchExpressions: [{ key: 'c', operator: 'NotIn', values: ['1'] }] }, l)).toBe(true);
    expect(matchesLabelSelector({ matchExpressions: [{ key: 'b', operator: 'Exists' }] }, l)).toBe(true);
    expect(matchesLabelSelector({ matchExpressions: [{ key: 'b', operator: 'DoesNotExist' }] }, l)).toBe(false);
  });
  it('name globs are anchored', () => {
    expect(matchesNameGlob('team-*', 'team-a')).toBe(true);
    expect(matchesNameGlob('team-*', 'xteam-a')).toBe(false);
    expect(matchesNameGlob('a.b', 'axb')).toBe(false);
  });
});
