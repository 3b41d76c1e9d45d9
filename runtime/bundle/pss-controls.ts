/**
 * Pod Security Standards control IDs, as the upstream k8s.io/pod-security-admission check IDs name
 * them. Exemptions and messages use these names; synth rejects any other.
 */
export const PSS_CONTROLS = [
  'allowPrivilegeEscalation',
  'appArmorProfile',
  'capabilities_baseline',
  'capabilities_restricted',
  'hostNamespaces',
  'hostPathVolumes',
  'hostPorts',
  'hostProbesAndHostLifecycle',
  'privileged',
  'procMount',
  'procMount_restricted',
  'restrictedVolumes',
  'runAsNonRoot',
  'runAsUser',
  'seccompProfile_baseline',
  'seccompProfile_restricted',
  'seLinuxOptions',
  'sysctls',
  'windowsHostProcess',
] as const;

export type PssControl = (typeof PSS_CONTROLS)[number];

export function isPssControl(name: string): name is PssControl {
  return (PSS_CONTROLS as readonly string[]).includes(name);
}
