/** Ownership labels on every workload in production namespaces. */
import type { Construct } from 'constructs';
import { Policy, RequireLabels } from '../constructs';
import type { TeamConfig } from './config';

export function requiredLabels(scope: Construct, config: TeamConfig): Policy {
  const policy = new Policy(scope, 'required-labels', {
    description: 'Workloads in production namespaces carry owner, team, version and environment labels.',
    mode: config.modes.requiredLabels,
    match: { namespaceSelector: config.productionNamespaces },
  });
  new RequireLabels(policy, 'ownership-labels', { labels: config.requiredLabels });
  return policy;
}
