/**
 * The Pod Security controls compiled to CEL in this version (runtime/engine/pss/registry.ts holds
 * the checks; a control missing here keeps every podSecurity rule it applies to on the webhook).
 */
import { allowPrivilegeEscalation } from './allow-privilege-escalation';
import { capabilitiesBaseline } from './capabilities-baseline';
import { capabilitiesRestricted } from './capabilities-restricted';
import type { NativeControl } from './control';
import { hostNamespaces } from './host-namespaces';
import { hostPathVolumes } from './host-path-volumes';
import { hostPorts } from './host-ports';
import { privileged } from './privileged';
import { runAsNonRoot } from './run-as-non-root';
import { runAsUser } from './run-as-user';
import { windowsHostProcess } from './windows-host-process';

export const NATIVE_PSS_CONTROLS: readonly NativeControl[] = [
  windowsHostProcess,
  hostNamespaces,
  privileged,
  capabilitiesBaseline,
  hostPathVolumes,
  hostPorts,
  allowPrivilegeEscalation,
  runAsNonRoot,
  runAsUser,
  capabilitiesRestricted,
];
