/**
 * denyRuntimeSocket (validating): no container-runtime socket may be mounted from the host.
 *
 * Applies to: every `spec.volumes[*].hostPath` of the pod or pod template.
 * Denied: a hostPath that, after lexical normalization, is one of `rule.sockets` or a directory
 * containing one (so `/var/run`, `/run`, `/var` and `/` are denied along with the sockets
 * themselves). `/var/run` is treated as the same directory as `/run` (it is a symlink on every
 * mainstream distribution), whichever spelling the rule or the pod uses. A hostPath that is not an
 * absolute path cannot be checked and is denied. The default socket list (set by the constructs)
 * covers docker, cri-dockerd, containerd, cri-o and podman under both `/var/run` and `/run` — see
 * `DEFAULT_RUNTIME_SOCKETS`.
 * Not covered: sockets reached through other volume types (e.g. a `local` PersistentVolume).
 * Finding: control `denyRuntimeSocket`, field `…volumes[i].hostPath.path`, exemptField
 * `hostPath.path`, values = [normalized path].
 */
import type { DenyRuntimeSocketRule } from '../../bundle';
import { exposesPath, normalizeHostPath } from '../host-path';
import { showValue } from '../own-fields';
import type { Finding, RuleFamily, RuleInput } from '../types';
import { hostPathVolumes } from './host-path-volumes';

const CONTROL = 'denyRuntimeSocket';

/** The sockets of the common container runtimes, under both spellings of the run directory. */
export const DEFAULT_RUNTIME_SOCKETS: readonly string[] = [
  '/var/run/docker.sock',
  '/run/docker.sock',
  '/var/run/containerd/containerd.sock',
  '/run/containerd/containerd.sock',
  '/var/run/crio/crio.sock',
  '/run/crio/crio.sock',
  '/var/run/podman/podman.sock',
  '/run/podman/podman.sock',
  '/var/run/cri-dockerd.sock',
  '/run/cri-dockerd.sock',
];

function listSome(paths: string[]): string {
  return paths.length <= 3 ? paths.join(', ') : `${paths.slice(0, 3).join(', ')} and ${paths.length - 3} more`;
}

/** The rule's sockets, normalized once per rule object (a bundle's rules are never modified). */
const normalizedSockets = new WeakMap<DenyRuntimeSocketRule, string[]>();

function socketsOf(rule: DenyRuntimeSocketRule): string[] {
  let sockets = normalizedSockets.get(rule);
  if (sockets === undefined) {
    sockets = rule.sockets.flatMap((s) => normalizeHostPath(s) ?? []);
    normalizedSockets.set(rule, sockets);
  }
  return sockets;
}

export const denyRuntimeSocket: RuleFamily<DenyRuntimeSocketRule> = {
  validate: ({ rule, pod }: RuleInput<DenyRuntimeSocketRule>): Finding[] => {
    const sockets = socketsOf(rule);
    const findings: Finding[] = [];
    for (const v of hostPathVolumes(pod)) {
      const exposed = v.normalized === undefined ? [] : sockets.filter((s) => exposesPath(v.normalized!, s));
      if (v.normalized !== undefined && exposed.length === 0) continue;
      const what =
        v.normalized === undefined
          ? 'it is not an absolute path, so it cannot be checked'
          : exposed.includes(v.normalized)
            ? 'it is a container-runtime socket'
            : `it exposes the container-runtime socket${exposed.length > 1 ? 's' : ''} ${listSome(exposed)}`;
      findings.push({
        control: CONTROL,
        field: v.field,
        exemptField: 'hostPath.path',
        values: [v.normalized ?? v.path],
        allowed: 'host paths that neither are nor contain a container-runtime socket',
        message: `volume "${v.name}" hostPath.path=${showValue(v.path)} is not allowed: ${what}`,
      });
    }
    return findings;
  },
};
