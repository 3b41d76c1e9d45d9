import type { Policy } from '../policy';
import { PolicyRule, type RuleSpec } from './policy-rule';

/** One approved hostPath prefix. */
export interface AllowedHostPath {
  /** Absolute, normalized path prefix (matched per path component: `/var/log` allows `/var/log/x`, not `/var/logs`). */
  readonly pathPrefix: string;
  /**
   * Whether every mount of the volume must be read-only.
   * @default true
   */
  readonly readOnly?: boolean;
}

export interface HostPathsProps {
  /**
   * The only hostPath volumes allowed.
   * @default [] (no hostPath volume at all)
   */
  readonly allowed?: readonly AllowedHostPath[];
}

function pathProblem(p: string): string | undefined {
  if (!p.startsWith('/')) return `"${p}" is not absolute. Fix: start it with "/".`;
  if (p === '/') return '"/" would allow the whole host filesystem. Fix: name a specific directory.';
  if (p.endsWith('/') || p.includes('//') || p.split('/').some((s) => s === '.' || s === '..')) {
    return `"${p}" is not a normalized path. Fix: remove trailing "/", "//", "." and ".." segments.`;
  }
  return undefined;
}

/** Validating: hostPath volumes only from an allow-list of prefixes, read-only where required. */
export class HostPaths extends PolicyRule {
  readonly ruleType = 'hostPaths' as const;
  readonly allowed: Array<{ pathPrefix: string; readOnly: boolean }>;

  constructor(scope: Policy, id: string, props: HostPathsProps = {}) {
    super(scope, id);
    this.allowed = (props.allowed ?? []).map((a) => ({ pathPrefix: a.pathPrefix, readOnly: a.readOnly ?? true }));
  }

  spec(): RuleSpec {
    return { type: 'hostPaths', allowed: this.allowed };
  }

  protected override problems(): string[] {
    const out: string[] = [];
    const seen = new Set<string>();
    for (const a of this.allowed) {
      const e = pathProblem(a.pathPrefix);
      if (e !== undefined) out.push(`allowed pathPrefix ${e}`);
      if (seen.has(a.pathPrefix)) out.push(`allowed pathPrefix "${a.pathPrefix}" is listed twice. Fix: keep one entry.`);
      seen.add(a.pathPrefix);
    }
    return out;
  }
}

/** Container-runtime sockets (docker, containerd, cri-o, podman, cri-dockerd) under /run and /var/run. */
export const DEFAULT_RUNTIME_SOCKETS: readonly string[] = [
  '/run/containerd/containerd.sock',
  '/run/crio/crio.sock',
  '/run/cri-dockerd.sock',
  '/run/docker.sock',
  '/run/podman/podman.sock',
  '/var/run/containerd/containerd.sock',
  '/var/run/crio/crio.sock',
  '/var/run/cri-dockerd.sock',
  '/var/run/docker.sock',
  '/var/run/podman/podman.sock',
];

export interface DenyRuntimeSocketProps {
  /**
   * Socket paths no hostPath volume may expose (the socket itself or a directory containing it).
   * @default DEFAULT_RUNTIME_SOCKETS
   */
  readonly sockets?: readonly string[];
}

/** Validating: no hostPath volume may expose a container-runtime socket. */
export class DenyRuntimeSocket extends PolicyRule {
  readonly ruleType = 'denyRuntimeSocket' as const;
  readonly sockets: string[];

  constructor(scope: Policy, id: string, props: DenyRuntimeSocketProps = {}) {
    super(scope, id);
    this.sockets = [...new Set(props.sockets ?? DEFAULT_RUNTIME_SOCKETS)].sort();
  }

  spec(): RuleSpec {
    return { type: 'denyRuntimeSocket', sockets: this.sockets };
  }

  protected override problems(): string[] {
    if (this.sockets.length === 0) return ['protects no socket. Fix: leave sockets unset for the defaults, or list socket paths.'];
    return this.sockets.flatMap((s) => {
      const e = pathProblem(s);
      return e === undefined ? [] : [`socket ${e}`];
    });
  }
}

export type HostNamespace = 'hostPID' | 'hostIPC' | 'hostNetwork';

export interface HostNamespacesProps {
  /**
   * Host namespaces a pod may not share.
   * @default ['hostIPC', 'hostNetwork', 'hostPID']
   */
  readonly deny?: readonly HostNamespace[];
}

/** Validating: pods may not set hostPID, hostIPC or hostNetwork. */
export class HostNamespaces extends PolicyRule {
  readonly ruleType = 'hostNamespaces' as const;
  readonly deny: HostNamespace[];

  constructor(scope: Policy, id: string, props: HostNamespacesProps = {}) {
    super(scope, id);
    this.deny = [...new Set<HostNamespace>(props.deny ?? ['hostIPC', 'hostNetwork', 'hostPID'])].sort();
  }

  spec(): RuleSpec {
    return { type: 'hostNamespaces', deny: this.deny };
  }

  protected override problems(): string[] {
    return this.deny.length === 0 ? ['denies nothing. Fix: leave deny unset for all three, or remove the rule.'] : [];
  }
}
