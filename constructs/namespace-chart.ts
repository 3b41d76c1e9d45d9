/**
 * The runtime's namespace (restricted Pod Security enforced on itself), its ServiceAccount (no API
 * token: the runtime never calls the Kubernetes API) and a ResourceQuota that admits
 * `system-cluster-critical` pods outside kube-system on clusters that limit critical priority.
 */
import { ApiObject, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { APP_LABELS } from './labels';
import { applySyncWave, SyncWave } from './sync-waves';

export interface NamespaceChartProps {
  readonly namespace: string;
  readonly serviceAccountName: string;
  readonly priorityClassName: string;
}

export class NamespaceChart extends Chart {
  constructor(scope: Construct, id: string, props: NamespaceChartProps) {
    super(scope, id, { labels: { ...APP_LABELS } });
    new kplus.Namespace(this, 'namespace', {
      metadata: {
        name: props.namespace,
        labels: {
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/enforce-version': 'latest',
          'pod-security.kubernetes.io/audit': 'restricted',
          'pod-security.kubernetes.io/warn': 'restricted',
        },
      },
    });
    new kplus.ServiceAccount(this, 'service-account', {
      metadata: { name: props.serviceAccountName, namespace: props.namespace },
      automountToken: false,
    });
    new ApiObject(this, 'critical-pods-quota', {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'portcullis-critical-pods', namespace: props.namespace },
      spec: {
        hard: { pods: '20' },
        scopeSelector: {
          matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: [props.priorityClassName] }],
        },
      },
    });
    applySyncWave(this, SyncWave.NAMESPACE);
  }
}
