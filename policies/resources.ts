/** Resource requests/limits: defaults mutated in, then cpu/memory limits required. */
import type { Construct } from 'constructs';
import { DefaultResources, Policy, RequireResources } from '../constructs';
import type { TeamConfig } from './config';

export function resourceDefaults(scope: Construct, config: TeamConfig): Policy {
  const policy = new Policy(scope, 'resource-defaults', {
    description: 'Containers that declare no requests/limits get the platform defaults.',
    mode: config.modes.resourceDefaults,
    // A defaulting outage must not block deploys; resource-limits still validates.
    failurePolicy: 'Ignore',
    timeoutSeconds: 5,
  });
  new DefaultResources(policy, 'defaults', config.resourceDefaults);
  return policy;
}

export function resourceLimits(scope: Construct, config: TeamConfig): Policy {
  const policy = new Policy(scope, 'resource-limits', {
    description: 'Every container must declare cpu and memory limits.',
    mode: config.modes.resourceLimits,
  });
  new RequireResources(policy, 'limits-required', { limits: ['cpu', 'memory'] });
  return policy;
}
