/**
 * Every Pod Security check in one table, and the resolution of (level, version) to the check
 * functions that apply, following the upstream registry:
 * - a check applies at policy version v1.N through its newest revision with minVersion <= N; a
 *   check with no such revision does not apply;
 * - the baseline level runs the baseline checks; the restricted level runs the baseline checks
 *   plus the restricted ones, minus each baseline check that an applying restricted check
 *   overrides;
 * - versions above the newest revision in the table (v1.37) evaluate as v1.37;
 * - `latest` is v1.36, the newest released Kubernetes minor at the fixture snapshot: it does NOT
 *   include the unreleased v1.37 relaxation (two more safe sysctls). Pin `v1.37` to opt in.
 */
import type { PssControl } from '../../bundle';
import type { CheckFn, PssCheck, PssLevel } from './check';
import { allowPrivilegeEscalation } from './allow-privilege-escalation';
import { appArmorProfile } from './app-armor';
import { capabilitiesBaseline } from './capabilities-baseline';
import { capabilitiesRestricted } from './capabilities-restricted';
import { hostNamespaces } from './host-namespaces';
import { hostPathVolumes } from './host-path-volumes';
import { hostPorts } from './host-ports';
import { hostProbesAndHostLifecycle } from './host-probes-and-host-lifecycle';
import { privileged } from './privileged';
import { procMount } from './proc-mount';
import { procMountRestricted } from './proc-mount-restricted';
import { restrictedVolumes } from './restricted-volumes';
import { runAsNonRoot } from './run-as-non-root';
import { runAsUser } from './run-as-user';
import { seccompProfileBaseline } from './seccomp-baseline';
import { seccompProfileRestricted } from './seccomp-restricted';
import { seLinuxOptions } from './se-linux-options';
import { sysctls } from './sysctls';
import { windowsHostProcess } from './windows-host-process';

export const PSS_CHECKS: readonly PssCheck[] = [
  // baseline
  windowsHostProcess,
  hostNamespaces,
  privileged,
  capabilitiesBaseline,
  hostPathVolumes,
  hostPorts,
  appArmorProfile,
  seLinuxOptions,
  procMount,
  seccompProfileBaseline,
  sysctls,
  hostProbesAndHostLifecycle,
  // restricted
  restrictedVolumes,
  allowPrivilegeEscalation,
  runAsNonRoot,
  runAsUser,
  seccompProfileRestricted,
  capabilitiesRestricted,
  procMountRestricted,
];

/** The newest minor any check revision names: versions above it evaluate as it. */
export const MAX_MINOR = Math.max(...PSS_CHECKS.flatMap((c) => c.revisions.map((r) => r.minVersion)));
/** What `latest` means: v1.36, the newest released Kubernetes minor (see the module comment). */
export const LATEST_MINOR = 36;

/** `latest` → 36, `v1.N` → N (clamped to MAX_MINOR). Throws on anything else. */
export function resolveMinor(version: string): number {
  if (version === 'latest') return Math.min(LATEST_MINOR, MAX_MINOR);
  const m = /^v1\.(0|[1-9][0-9]*)$/.exec(version);
  if (m === null) throw new Error(`invalid Pod Security version "${version}" (expected latest or v1.N)`);
  return Math.min(Number(m[1]), MAX_MINOR);
}

export interface ResolvedCheck {
  id: PssControl;
  check: CheckFn;
}

function revisionAt(check: PssCheck, minor: number): CheckFn | undefined {
  let fn: CheckFn | undefined;
  for (const r of check.revisions) if (r.minVersion <= minor) fn = r.check;
  return fn;
}

const cache = new Map<string, readonly ResolvedCheck[]>();

/** The checks that apply at (level, version), in table order. Memoized. */
export function checksFor(level: PssLevel, version: string): readonly ResolvedCheck[] {
  const minor = resolveMinor(version);
  const key = `${level}/${minor}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const active = PSS_CHECKS.filter((c) => (level === 'restricted' || c.level === 'baseline') && revisionAt(c, minor) !== undefined);
  const overridden = new Set(active.filter((c) => c.level === 'restricted').flatMap((c) => c.overrides ?? []));
  const resolved = active
    .filter((c) => !overridden.has(c.id))
    .map((c) => ({ id: c.id, check: revisionAt(c, minor) as CheckFn }));
  cache.set(key, resolved);
  return resolved;
}
