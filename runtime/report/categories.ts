/**
 * PolicyReport `category` and `severity` for each rule family (the bundle carries neither).
 * Severity uses the wgpolicyk8s.io/v1alpha2 values: critical, high, medium, low, info.
 */
import type { RuleType } from '../bundle';

export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';

export const RULE_CATEGORIES: { [T in RuleType]: { category: string; severity: Severity } } = {
  podSecurity: { category: 'Pod Security Standards (Restricted)', severity: 'high' },
  defaultSeccomp: { category: 'Pod Security Standards (Restricted)', severity: 'medium' },
  verifyImages: { category: 'Software Supply Chain Security', severity: 'high' },
  verifyAttestations: { category: 'Software Supply Chain Security', severity: 'high' },
  allowedRegistries: { category: 'Software Supply Chain Security', severity: 'high' },
  requireDigest: { category: 'Software Supply Chain Security', severity: 'medium' },
  disallowLatestTag: { category: 'Best Practices', severity: 'medium' },
  defaultResources: { category: 'Resource Management', severity: 'medium' },
  requireResources: { category: 'Resource Management', severity: 'medium' },
  hostPaths: { category: 'Host Isolation', severity: 'high' },
  denyRuntimeSocket: { category: 'Host Isolation', severity: 'critical' },
  hostNamespaces: { category: 'Host Isolation', severity: 'high' },
  requireLabels: { category: 'Best Practices', severity: 'low' },
};
