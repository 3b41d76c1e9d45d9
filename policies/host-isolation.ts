/** No host namespaces, no container-runtime sockets, hostPath only from the approved monitoring path (read-only). */
import type { Construct } from 'constructs';
import { DenyRuntimeSocket, HostNamespaces, HostPaths, Policy } from '../constructs';
import type { TeamConfig } from './config';

export function hostIsolation(scope: Construct, config: TeamConfig): Policy {
  const policy = new Policy(scope, 'host-isolation', {
    description: 'Pods stay off the host: no host namespaces, no runtime sockets, hostPath only from the approved read-only log path.',
    mode: config.modes.hostIsolation,
  });
  new HostPaths(policy, 'approved-host-paths', { allowed: [{ pathPrefix: config.monitoring.hostPath, readOnly: true }] });
  new DenyRuntimeSocket(policy, 'no-runtime-socket');
  new HostNamespaces(policy, 'no-host-namespaces', { deny: ['hostIPC', 'hostNetwork', 'hostPID'] });
  return policy;
}
