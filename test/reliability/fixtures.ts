/**
 * The Enforce bundle the reliability suite attacks: restricted Pod Security, host isolation and
 * the runtime socket guard in Enforce mode behind a `Fail` webhook, mutating defaults in front,
 * and an Audit policy behind an `Ignore` webhook. Every Pod rule is expanded for every controller
 * (as autogen does at synth), and the bundle is validated so no test attacks a bundle the runtime
 * would refuse.
 */
import type { Bundle, Policy } from '../../runtime/bundle';
import { DEFAULT_RUNTIME_SOCKETS } from '../../runtime/engine/rules/deny-runtime-socket';
import type { EvaluationContext } from '../../runtime/engine/types';
import { podPolicy as policy, RUNTIME_NAMESPACE, validBundle, webhook, withAutogen } from '../helpers/bundles';

export { RUNTIME_NAMESPACE, withAutogen };
export const NOW = new Date('2026-06-01T00:00:00Z');
export const CONTEXT: EvaluationContext = { now: NOW, excludedNamespaces: [RUNTIME_NAMESPACE] };

export const PATHS = {
  mutate: '/mutate/fail-10s',
  validate: '/validate/fail-10s',
  audit: '/validate/ignore-10s',
} as const;

/** Names of the Enforce policies behind the `Fail` validating path. */
export const ENFORCE_POLICIES = ['pod-security', 'host-isolation'] as const;

export function enforceBundle(name = 'reliability'): Bundle {
  return validBundle(
    name,
    [
      policy({
        name: 'defaults',
        mode: 'Enforce',
        failurePolicy: 'Fail',
        rules: [
          ...withAutogen('resources', { type: 'defaultResources', requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } }),
          ...withAutogen('seccomp', { type: 'defaultSeccomp', profile: 'RuntimeDefault' }),
        ],
      }),
      policy({
        name: 'pod-security',
        mode: 'Enforce',
        failurePolicy: 'Fail',
        rules: withAutogen('restricted', { type: 'podSecurity', level: 'restricted', version: 'latest' }),
      }),
      policy({
        name: 'host-isolation',
        mode: 'Enforce',
        failurePolicy: 'Fail',
        rules: [
          ...withAutogen('no-host-namespaces', { type: 'hostNamespaces', deny: ['hostPID', 'hostIPC', 'hostNetwork'] }),
          ...withAutogen('no-host-paths', { type: 'hostPaths', allowed: [] }),
          ...withAutogen('no-runtime-socket', { type: 'denyRuntimeSocket', sockets: [...DEFAULT_RUNTIME_SOCKETS] }),
        ],
      }),
      policy({
        name: 'labels-audit',
        mode: 'Audit',
        failurePolicy: 'Ignore',
        rules: withAutogen('team-label', { type: 'requireLabels', labels: [{ key: 'team', valuePattern: '[a-z]+(-[a-z]+)*' }] }),
      }),
    ],
    [
      webhook({ path: PATHS.mutate, type: 'mutating', failurePolicy: 'Fail', policies: ['defaults'] }),
      webhook({ path: PATHS.validate, type: 'validating', failurePolicy: 'Fail', policies: [...ENFORCE_POLICIES] }),
      webhook({ path: PATHS.audit, type: 'validating', failurePolicy: 'Ignore', policies: ['labels-audit'] }),
    ],
  );
}

export function policiesOf(bundle: Bundle, path: string): Policy[] {
  const hook = bundle.webhooks.find((w) => w.path === path);
  if (hook === undefined) throw new Error(`no webhook ${path}`);
  return hook.policies.map((n) => {
    const p = bundle.policies.find((x) => x.name === n);
    if (p === undefined) throw new Error(`no policy ${n}`);
    return p;
  });
}
