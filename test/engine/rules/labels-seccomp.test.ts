import { describe, expect, it } from 'vitest';
import type { DefaultSeccompRule, RequireLabelsRule } from '../../../runtime/bundle';
import { requireLabels } from '../../../runtime/engine/rules/require-labels';
import { defaultSeccomp } from '../../../runtime/engine/rules/default-seccomp';
import { checkPattern, compileAnchoredPattern, UnsafePatternError } from '../../../runtime/engine/safe-regex';
import { cronJob, deployment, mutate, mutateToFixpoint, pod, POD_TARGET, targetFor, validate } from './helpers';

const labelsRule: RequireLabelsRule = {
  name: 'labels',
  type: 'requireLabels',
  target: POD_TARGET,
  labels: [
    { key: 'owner' },
    { key: 'team', valuePattern: '[a-z][a-z0-9-]*' },
    { key: 'version', valuePattern: 'v?[0-9]+\\.[0-9]+\\.[0-9]+' },
    { key: 'environment', valuePattern: 'dev|staging|prod' },
  ],
};
const good = { owner: 'alice', team: 'payments', version: '1.4.2', environment: 'prod' };

describe('requireLabels', () => {
  it('passes a pod with every label valid', async () => {
    expect(await validate(requireLabels, labelsRule, pod({ containers: [] }, { name: 'p', labels: good }))).toEqual([]);
  });

  it('lists every missing or invalid label, one finding each', async () => {
    const object = pod({ containers: [] }, { name: 'p', labels: { team: 'Payments', environment: 'production' } });
    const findings = await validate(requireLabels, labelsRule, object);
    expect(findings.map((f) => [f.field, f.values, f.message])).toEqual([
      ['metadata.labels.owner', ['owner'], 'required label owner is missing from metadata.labels'],
      ['metadata.labels.team', ['team'], 'label team=Payments is not allowed'],
      ['metadata.labels.version', ['version'], 'required label version is missing from metadata.labels'],
      ['metadata.labels.environment', ['environment'], 'label environment=production is not allowed'],
    ]);
    expect(findings[3].allowed).toBe('a value matching dev|staging|prod');
  });

  it('anchors patterns: a partial match is not enough', async () => {
    for (const environment of ['prod-evil', 'xprod', 'dev|staging']) {
      const object = pod({ containers: [] }, { name: 'p', labels: { ...good, environment } });
      expect((await validate(requireLabels, labelsRule, object)).map((f) => f.values), environment).toEqual([['environment']]);
    }
  });

  it('requires a non-empty value without a pattern; rejects invalid label values', async () => {
    const object = pod({ containers: [] }, { name: 'p', labels: { ...good, owner: '', team: 'ü', version: 12 } });
    const findings = await validate(requireLabels, labelsRule, object);
    expect(findings.map((f) => f.message)).toEqual([
      'label owner= is not allowed: the value must not be empty',
      'label team=ü is not allowed: not a valid label value',
      'label version=12 is not allowed: not a valid label value',
    ]);
  });

  it('handles no metadata, no labels, null labels and __proto__ keys', async () => {
    for (const object of [
      { kind: 'Pod', spec: { containers: [] } },
      pod({ containers: [] }, { name: 'p' }),
      pod({ containers: [] }, { name: 'p', labels: null }),
      JSON.parse('{"kind":"Pod","metadata":{"labels":{"__proto__":{"owner":"x","team":"a","version":"1.0.0","environment":"dev"}}},"spec":{"containers":[]}}'),
    ]) {
      expect(await validate(requireLabels, labelsRule, object)).toHaveLength(4);
    }
  });

  it('checks pod templates of controllers, not the controller metadata', async () => {
    const d = deployment({ containers: [] }, { labels: { owner: 'a' } });
    (d.metadata as Record<string, unknown>).labels = good;
    const findings = await validate(requireLabels, { ...labelsRule, target: targetFor('Deployment') }, d);
    expect(findings.map((f) => f.field)).toEqual([
      'spec.template.metadata.labels.team',
      'spec.template.metadata.labels.version',
      'spec.template.metadata.labels.environment',
    ]);
    const cj = cronJob({ containers: [] }, { labels: good });
    expect(await validate(requireLabels, { ...labelsRule, target: targetFor('CronJob') }, cj)).toEqual([]);
  });

  it('supports prefixed keys', async () => {
    const rule: RequireLabelsRule = { ...labelsRule, labels: [{ key: 'app.kubernetes.io/name' }] };
    const findings = await validate(requireLabels, rule, pod({ containers: [] }, { name: 'p', labels: {} }));
    expect(findings[0].field).toBe('metadata.labels[app.kubernetes.io/name]');
    expect(await validate(requireLabels, rule, pod({ containers: [] }, { labels: { 'app.kubernetes.io/name': 'web' } }))).toEqual([]);
  });

  it('refuses a pattern prone to catastrophic backtracking instead of running it', async () => {
    const rule: RequireLabelsRule = { ...labelsRule, labels: [{ key: 'team', valuePattern: '(a+)+' }] };
    const object = pod({ containers: [] }, { labels: { team: `${'a'.repeat(60)}b` } });
    await expect(validate(requireLabels, rule, object)).rejects.toThrow(UnsafePatternError);
  });
});

describe('safe-regex', () => {
  it.each(['dev|staging|prod', '[a-z][a-z0-9-]*', 'v?[0-9]+\\.[0-9]+', '(?:team-)?[a-z]+', '(dev|prod)', '[a-z]{2,8}', '(ab)+', '(?<x>ab)+', 'a\\+b+',
    '[a-z0-9]+(-[a-z0-9]+)*', 'v?[0-9]+(\\.[0-9]+)*', 'v?[0-9]+\\.[0-9]+\\.[0-9]+([-+][0-9A-Za-z.-]+)?', '(?:_[a-z]+){0,3}', '(a+){0,1}'])(
    'accepts %s',
    (p) => {
      expect(checkPattern(p)).toBeUndefined();
    },
  );
  it.each([
    ['(a+)+', 'repeated group'],
    ['(a|aa)*', 'repeated group'],
    ['(?:a*b?)+', 'repeated group'],
    ['((ab)*c)+', 'repeated group'],
    ['(x{2,})+', 'repeated group'],
    ['(-[a-z-]+)*', 'repeated group'], // the delimiter also matches inside the group
    ['(a[a-z]+)+', 'repeated group'],
    ['([a-z]+-)*', 'repeated group'], // no leading delimiter
    ['(.[0-9]+)+', 'repeated group'], // "." is not a literal
    ['(-a+|b)+', 'repeated group'],
    ['(a)\\1', 'back-references'],
    ['(?=a)a', 'lookaround'],
    ['(?<!a)b', 'lookaround'],
    ['(', 'invalid regular expression'],
  ])('refuses %s', (p, reason) => {
    expect(checkPattern(p)).toContain(reason);
  });
  it('anchors', () => {
    const re = compileAnchoredPattern('a|b');
    expect(re.test('a')).toBe(true);
    expect(re.test('ab')).toBe(false);
    expect(re.test('xb')).toBe(false);
  });
});

const seccompRule: DefaultSeccompRule = { name: 'seccomp', type: 'defaultSeccomp', target: POD_TARGET, profile: 'RuntimeDefault' };

describe('defaultSeccomp', () => {
  it('sets RuntimeDefault at pod level when nothing chose a profile (no securityContext)', async () => {
    const { ops, result, second } = await mutateToFixpoint(defaultSeccomp, seccompRule, pod({ containers: [{ name: 'a', image: 'a:1' }] }));
    expect(ops).toEqual([{ op: 'add', path: '/spec/securityContext', value: { seccompProfile: { type: 'RuntimeDefault' } } }]);
    expect(result.spec.securityContext).toEqual({ seccompProfile: { type: 'RuntimeDefault' } });
    expect(second).toEqual([]);
  });

  it('adds into an existing securityContext without touching its other fields', async () => {
    const object = pod({ securityContext: { runAsNonRoot: true }, containers: [{ name: 'a', image: 'a:1' }] });
    const { result, second } = await mutateToFixpoint(defaultSeccomp, seccompRule, object);
    expect(result.spec.securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(second).toEqual([]);
  });

  it('replaces a null securityContext or seccompProfile', async () => {
    for (const securityContext of [null, { seccompProfile: null }]) {
      const { result } = await mutateToFixpoint(defaultSeccomp, seccompRule, pod({ securityContext, containers: [] }));
      expect(result.spec.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
    }
  });

  it.each([
    ['pod-level Unconfined', { securityContext: { seccompProfile: { type: 'Unconfined' } }, containers: [{ name: 'a', image: 'a' }] }],
    ['pod-level Localhost', { securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: 'p.json' } }, containers: [] }],
    ['a container', { containers: [{ name: 'a', image: 'a' }, { name: 'b', image: 'b', securityContext: { seccompProfile: { type: 'Unconfined' } } }] }],
    ['an init container', { initContainers: [{ name: 'i', image: 'i', securityContext: { seccompProfile: { type: 'RuntimeDefault' } } }], containers: [] }],
    ['an ephemeral container', { containers: [], ephemeralContainers: [{ name: 'e', image: 'e', securityContext: { seccompProfile: { type: 'Unconfined' } } }] }],
    ['a Windows pod', { os: { name: 'windows' }, containers: [{ name: 'a', image: 'a' }] }],
    ['a malformed securityContext', { securityContext: 'x', containers: [] }],
  ])('never overrides an explicit choice: %s', async (_label, spec) => {
    expect(await mutate(defaultSeccomp, seccompRule, pod(spec))).toEqual([]);
  });

  it('respects the legacy seccomp annotations', async () => {
    for (const key of ['seccomp.security.alpha.kubernetes.io/pod', 'container.seccomp.security.alpha.kubernetes.io/a']) {
      const object = pod({ containers: [{ name: 'a', image: 'a' }] }, { name: 'p', annotations: { [key]: 'unconfined' } });
      expect(await mutate(defaultSeccomp, seccompRule, object)).toEqual([]);
    }
  });

  it('mutates Pods at CREATE only, controller templates on UPDATE too', async () => {
    expect(await mutate(defaultSeccomp, seccompRule, pod({ containers: [] }), 'UPDATE')).toEqual([]);
    const d = deployment({ containers: [] });
    expect(await mutate(defaultSeccomp, { ...seccompRule, target: targetFor('Deployment') }, d, 'UPDATE')).toHaveLength(1);
  });

  it('patches pod templates of controllers', async () => {
    const { ops, result } = await mutateToFixpoint(defaultSeccomp, { ...seccompRule, target: targetFor('CronJob') }, cronJob({ containers: [] }));
    expect(ops[0].path).toBe('/spec/jobTemplate/spec/template/spec/securityContext');
    expect(result.spec.jobTemplate.spec.template.spec.securityContext.seccompProfile.type).toBe('RuntimeDefault');
  });
});
