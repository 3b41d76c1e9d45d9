/**
 * hostPaths (validating): hostPath volumes only from an allow-list of path prefixes.
 *
 * Applies to: every `spec.volumes[*].hostPath` of the pod or pod template, and — for prefixes that
 * are read-only — every volumeMount of that volume in `containers`, `initContainers` and
 * `ephemeralContainers`.
 * Allowed values: a path that, after lexical normalization (`..`, `.`, duplicate and trailing
 * slashes; see host-path.ts), equals an allowed `pathPrefix` or lies below it on a segment boundary
 * (`/var/log` admits `/var/log/pods`, not `/var/logs` nor `/var/log/../run/docker.sock`). If only
 * `readOnly: true` prefixes admit the path, every mount of the volume must set `readOnly: true`.
 * Relative or empty paths are never allowed. An empty allow-list denies every hostPath volume.
 * The host's symlinks are invisible to admission: allow-list directories whose contents you trust.
 * Findings: control `hostPaths`; for a path: field `…volumes[i].hostPath.path`, exemptField
 * `hostPath.path`, values = [normalized path]; for a writable mount: field
 * `…containers[j].volumeMounts[k].readOnly`, exemptField `volumeMounts.readOnly`, values = [path].
 */
import type { HostPathsRule } from '../../bundle';
import { isPathWithin, normalizeHostPath } from '../host-path';
import { ownArray, ownField, showValue } from '../own-fields';
import { isRecord } from '../pod-view';
import type { Finding, RuleFamily, RuleInput } from '../types';
import { hostPathVolumes } from './host-path-volumes';

const CONTROL = 'hostPaths';

function describeAllowed(rule: HostPathsRule): string {
  if (rule.allowed.length === 0) return 'no hostPath volumes';
  return rule.allowed.map((a) => `${a.pathPrefix}${a.readOnly ? ' (read-only)' : ''}`).join(', ');
}

interface Prepared {
  allowed: string;
  prefixes: { prefix: string; readOnly: boolean | undefined }[];
}

/** The rule's allow-list, described and normalized once per rule object (bundle rules never change). */
const preparedRules = new WeakMap<HostPathsRule, Prepared>();

function prepare(rule: HostPathsRule): Prepared {
  let prepared = preparedRules.get(rule);
  if (prepared === undefined) {
    prepared = {
      allowed: describeAllowed(rule),
      prefixes: rule.allowed.flatMap((a) => {
        const p = normalizeHostPath(a.pathPrefix);
        return p === undefined ? [] : [{ prefix: p, readOnly: a.readOnly }];
      }),
    };
    preparedRules.set(rule, prepared);
  }
  return prepared;
}

export const hostPaths: RuleFamily<HostPathsRule> = {
  validate: ({ rule, pod }: RuleInput<HostPathsRule>): Finding[] => {
    const findings: Finding[] = [];
    const volumes = hostPathVolumes(pod);
    if (volumes.length === 0) return findings;
    const { allowed, prefixes } = prepare(rule);
    for (const v of volumes) {
      const matching = v.normalized === undefined ? [] : prefixes.filter((p) => isPathWithin(v.normalized!, p.prefix));
      if (matching.length === 0) {
        const shown = v.normalized !== undefined && v.normalized !== v.path ? `${showValue(v.path)} (normalized ${v.normalized})` : showValue(v.path);
        findings.push({
          control: CONTROL,
          field: v.field,
          exemptField: 'hostPath.path',
          values: [v.normalized ?? v.path],
          allowed,
          message:
            v.normalized === undefined
              ? `volume "${v.name}" hostPath.path=${shown} is not allowed: it is not an absolute path`
              : `volume "${v.name}" hostPath.path=${shown} is not allowed: it is outside the allowed host paths`,
        });
        continue;
      }
      if (matching.some((p) => !p.readOnly)) continue;
      for (const c of pod.containers) {
        ownArray(c.container, 'volumeMounts').forEach((m, k) => {
          if (!isRecord(m) || ownField(m, 'name') !== v.name || ownField(m, 'readOnly') === true) return;
          findings.push({
            control: CONTROL,
            container: c,
            field: `${c.field}.volumeMounts[${k}].readOnly`,
            exemptField: 'volumeMounts.readOnly',
            values: [v.normalized!],
            allowed: `readOnly: true (${v.normalized!} is allowed read-only only)`,
            message: `container "${c.name}" mounts hostPath volume "${v.name}" (${v.normalized!}) writable: volumeMounts[${k}].readOnly=${showValue(ownField(m, 'readOnly') ?? false)} is not allowed`,
          });
        });
      }
    }
    return findings;
  },
};
