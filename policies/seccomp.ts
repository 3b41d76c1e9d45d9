/** Pods without a seccomp profile get RuntimeDefault. */
import type { Construct } from 'constructs';
import { DefaultSeccomp, Policy } from '../constructs';
import type { TeamConfig } from './config';

export function seccompDefault(scope: Construct, config: TeamConfig): Policy {
  const policy = new Policy(scope, 'seccomp-default', {
    description: 'Pods that set no seccomp profile get RuntimeDefault.',
    mode: config.modes.seccompDefault,
    failurePolicy: 'Ignore',
    timeoutSeconds: 5,
  });
  new DefaultSeccomp(policy, 'runtime-default');
  return policy;
}
