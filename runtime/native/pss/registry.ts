/**
 * The Pod Security controls compiled to CEL in this version (runtime/engine/pss/registry.ts holds
 * the checks; a control missing here keeps every podSecurity rule it applies to on the webhook).
 */
import type { NativeControl } from './control';
import { hostNamespaces } from './host-namespaces';
import { privileged } from './privileged';
import { windowsHostProcess } from './windows-host-process';

export const NATIVE_PSS_CONTROLS: readonly NativeControl[] = [windowsHostProcess, hostNamespaces, privileged];
