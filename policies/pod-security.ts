/** The restricted Pod Security Standard, with two narrow, owned, expiring exemptions. */
import type { Construct } from 'constructs';
import { Exemption, PodSecurity, Policy } from '../constructs';
import type { TeamConfig } from './config';

export function podSecurity(scope: Construct, config: TeamConfig): Policy {
  const policy = new Policy(scope, 'pod-security', {
    description: 'Pods must meet the restricted Pod Security Standard (latest).',
    mode: config.modes.podSecurity,
  });
  new PodSecurity(policy, 'restricted', { level: 'restricted', version: 'latest' });

  const nt = config.networkTools;
  new Exemption(policy, 'network-tools', {
    owner: nt.owner,
    reason: nt.reason,
    expiresAt: nt.expiresAt,
    namespaces: [nt.namespace],
    controls: [
      // NET_ADMIN is beyond baseline; NET_RAW and NET_ADMIN are beyond restricted.
      { control: 'capabilities_baseline', images: [nt.image], field: 'capabilities.add', values: ['NET_ADMIN'] },
      { control: 'capabilities_restricted', images: [nt.image], field: 'capabilities.add', values: ['NET_ADMIN', 'NET_RAW'] },
    ],
  });

  const mon = config.monitoring;
  new Exemption(policy, 'log-collector-host-logs', {
    owner: 'team-observability',
    reason: `the node log collector reads ${mon.hostPath} through a read-only hostPath (host-isolation allows only that path)`,
    expiresAt: '2027-06-30T00:00:00Z',
    namespaces: [mon.namespace],
    objectSelector: { matchLabels: { 'app.kubernetes.io/name': mon.collectorLabel } },
    controls: [{ control: 'hostPathVolumes' }, { control: 'restrictedVolumes' }],
  });
  return policy;
}
