/**
 * The resources Portcullis evaluates and where each keeps its pod template. Autogen (at synth) and
 * the engine (at admission) both read this one table.
 */
import type { Target } from './schema';

export const POD_TARGET: Target = {
  group: '',
  version: 'v1',
  kind: 'Pod',
  resource: 'pods',
  podSpecPath: '/spec',
  podMetadataPath: '/metadata',
};

/** `kubectl debug` adds containers through this subresource; the object is the whole Pod. */
export const EPHEMERAL_CONTAINERS_TARGET: Target = { ...POD_TARGET, subresource: 'ephemeralcontainers' };

const template = { podSpecPath: '/spec/template/spec', podMetadataPath: '/spec/template/metadata' };

export const CONTROLLER_TARGETS = {
  Deployment: { group: 'apps', version: 'v1', kind: 'Deployment', resource: 'deployments', ...template },
  StatefulSet: { group: 'apps', version: 'v1', kind: 'StatefulSet', resource: 'statefulsets', ...template },
  DaemonSet: { group: 'apps', version: 'v1', kind: 'DaemonSet', resource: 'daemonsets', ...template },
  ReplicaSet: { group: 'apps', version: 'v1', kind: 'ReplicaSet', resource: 'replicasets', ...template },
  ReplicationController: {
    group: '',
    version: 'v1',
    kind: 'ReplicationController',
    resource: 'replicationcontrollers',
    ...template,
  },
  Job: { group: 'batch', version: 'v1', kind: 'Job', resource: 'jobs', ...template },
  CronJob: {
    group: 'batch',
    version: 'v1',
    kind: 'CronJob',
    resource: 'cronjobs',
    podSpecPath: '/spec/jobTemplate/spec/template/spec',
    podMetadataPath: '/spec/jobTemplate/spec/template/metadata',
  },
} as const satisfies Record<string, Target>;

export type ControllerKind = keyof typeof CONTROLLER_TARGETS;
export const CONTROLLER_KINDS = Object.keys(CONTROLLER_TARGETS) as ControllerKind[];

/** Namespaces that admission never evaluates, whatever a policy says. */
export const ALWAYS_EXCLUDED_NAMESPACES = ['kube-node-lease', 'kube-public', 'kube-system'] as const;
