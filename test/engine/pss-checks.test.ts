/* eslint-disable @typescript-eslint/no-explicit-any -- the tests edit unstructured pod manifests in place */
/**
 * Our own Pod Security suite: every control, failing and passing, at pod and container level,
 * init and ephemeral containers, Windows pods, hostUsers, version pinning and overrides.
 */
import { describe, expect, it } from 'vitest';
import { POD_TARGET } from '../../runtime/bundle';
import { evaluate } from '../../runtime/engine/evaluate';
import { checksFor, LATEST_MINOR, MAX_MINOR, resolveMinor } from '../../runtime/engine/pss/registry';
import { admission, ctx, policy, restrictedPod } from './fixtures';

type Level = 'baseline' | 'restricted';
type Pod = Record<string, unknown>;

async function controls(pod: Pod, level: Level = 'restricted', version = 'latest'): Promise<string[]> {
  const p = policy({ controllers: [], rules: [{ name: 'pss', type: 'podSecurity', level, version, target: POD_TARGET }] });
  const d = await evaluate('validate', admission(pod), [p], ctx);
  expect(d.errors).toEqual([]);
  return d.violations.map((v) => `${v.control}@${v.field}`);
}

/** restrictedPod() with `edit` applied to a deep copy. */
function pod(edit: (p: { metadata: Record<string, any>; spec: Record<string, any> }) => void): Pod {
  const p = structuredClone(restrictedPod()) as { metadata: Record<string, any>; spec: Record<string, any> };
  edit(p);
  return p;
}
const c0 = 'spec.containers[0]';
const safeInit = () => ({ name: 'init', image: 'busybox', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } });
const safeDebug = () => ({ name: 'debug', image: 'busybox', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } });

describe('the restricted baseline pod', () => {
  it('passes every level at every version', async () => {
    for (let minor = 0; minor <= MAX_MINOR; minor++) {
      expect(await controls(restrictedPod(), 'restricted', `v1.${minor}`)).toEqual([]);
      expect(await controls(restrictedPod(), 'baseline', `v1.${minor}`)).toEqual([]);
    }
  });
});

describe('baseline controls', () => {
  it('windowsHostProcess: pod and container level', async () => {
    expect(await controls(pod((p) => (p.spec.securityContext.windowsOptions = { hostProcess: true })), 'baseline')).toEqual([
      'windowsHostProcess@spec.securityContext.windowsOptions.hostProcess',
    ]);
    expect(await controls(pod((p) => (p.spec.containers[0].securityContext.windowsOptions = { hostProcess: true })), 'baseline')).toEqual([
      `windowsHostProcess@${c0}.securityContext.windowsOptions.hostProcess`,
    ]);
    expect(await controls(pod((p) => (p.spec.securityContext.windowsOptions = { hostProcess: false })), 'baseline')).toEqual([]);
  });

  it('hostNamespaces: hostNetwork, hostPID, hostIPC', async () => {
    for (const f of ['hostNetwork', 'hostPID', 'hostIPC']) {
      expect(await controls(pod((p) => (p.spec[f] = true)), 'baseline')).toEqual([`hostNamespaces@spec.${f}`]);
      expect(await controls(pod((p) => (p.spec[f] = false)), 'baseline')).toEqual([]);
    }
  });

  it('privileged: containers, initContainers and ephemeralContainers', async () => {
    expect(await controls(pod((p) => (p.spec.containers[0].securityContext.privileged = true)), 'baseline')).toEqual([
      `privileged@${c0}.securityContext.privileged`,
    ]);
    const init = pod((p) => (p.spec.initContainers = [{ name: 'i', image: 'x', securityContext: { privileged: true } }]));
    expect(await controls(init, 'baseline')).toEqual(['privileged@spec.initContainers[0].securityContext.privileged']);
    const eph = pod((p) => (p.spec.ephemeralContainers = [{ name: 'd', image: 'x', securityContext: { privileged: true } }]));
    expect(await controls(eph, 'baseline')).toEqual(['privileged@spec.ephemeralContainers[0].securityContext.privileged']);
    expect(await controls(pod((p) => (p.spec.containers[0].securityContext.privileged = false)), 'baseline')).toEqual([]);
  });

  it('capabilities_baseline: only the default set may be added; replaced at restricted', async () => {
    const add = (caps: string[]) => pod((p) => (p.spec.containers[0].securityContext.capabilities.add = caps));
    expect(await controls(add(['SYS_ADMIN']), 'baseline')).toEqual([`capabilities_baseline@${c0}.securityContext.capabilities.add`]);
    expect(await controls(add(['CHOWN', 'NET_BIND_SERVICE', 'KILL']), 'baseline')).toEqual([]);
    expect(await controls(add(['NET_RAW']), 'baseline')).toHaveLength(1);
    // restricted: capabilities_restricted replaces it (CHOWN is then not allowed either)
    expect(await controls(add(['CHOWN']), 'restricted')).toEqual([`capabilities_restricted@${c0}.securityContext.capabilities.add`]);
    // before v1.22 restricted has no capabilities_restricted, so the baseline check applies
    expect(await controls(add(['SYS_ADMIN']), 'restricted', 'v1.21')).toEqual([`capabilities_baseline@${c0}.securityContext.capabilities.add`]);
    expect(await controls(add(['CHOWN']), 'restricted', 'v1.21')).toEqual([]);
  });

  it('hostPathVolumes: replaced by restrictedVolumes at restricted', async () => {
    const hp = pod((p) => (p.spec.volumes = [{ name: 'h', hostPath: { path: '/var/run' } }]));
    expect(await controls(hp, 'baseline')).toEqual(['hostPathVolumes@spec.volumes[0].hostPath']);
    expect(await controls(hp, 'restricted')).toEqual(['restrictedVolumes@spec.volumes[0].hostPath']);
  });

  it('hostPorts: any non-zero hostPort, any container kind', async () => {
    expect(await controls(pod((p) => (p.spec.containers[0].ports = [{ containerPort: 80, hostPort: 8080 }])), 'baseline')).toEqual([
      `hostPorts@${c0}.ports[0].hostPort`,
    ]);
    expect(await controls(pod((p) => (p.spec.containers[0].ports = [{ containerPort: 80, hostPort: 0 }])), 'baseline')).toEqual([]);
    const init = pod((p) => (p.spec.initContainers = [{ name: 'i', image: 'x', ports: [{ containerPort: 1, hostPort: 1 }] }]));
    expect(await controls(init, 'baseline')).toEqual(['hostPorts@spec.initContainers[0].ports[0].hostPort']);
  });

  it('appArmorProfile: annotations and fields at pod and container level', async () => {
    const ann = (v: string) => pod((p) => (p.metadata.annotations = { 'container.apparmor.security.beta.kubernetes.io/app': v }));
    expect(await controls(ann('unconfined'), 'baseline')).toEqual([
      'appArmorProfile@metadata.annotations["container.apparmor.security.beta.kubernetes.io/app"]',
    ]);
    expect(await controls(ann('runtime/default'), 'baseline')).toEqual([]);
    expect(await controls(ann('localhost/custom'), 'baseline')).toEqual([]);
    expect(await controls(pod((p) => (p.spec.securityContext.appArmorProfile = { type: 'Unconfined' })), 'baseline')).toEqual([
      'appArmorProfile@spec.securityContext.appArmorProfile.type',
    ]);
    const ctr = pod((p) => (p.spec.containers[0].securityContext.appArmorProfile = { type: 'Unconfined' }));
    expect(await controls(ctr, 'baseline', 'v1.0')).toEqual([`appArmorProfile@${c0}.securityContext.appArmorProfile.type`]);
    const ok = pod((p) => (p.spec.containers[0].securityContext.appArmorProfile = { type: 'Localhost', localhostProfile: 'x' }));
    expect(await controls(ok, 'baseline')).toEqual([]);
  });

  it('seLinuxOptions: type allow-list by version, no user or role', async () => {
    const type = (t: string) => pod((p) => (p.spec.containers[0].securityContext.seLinuxOptions = { type: t, level: 's0:c1' }));
    expect(await controls(type('container_t'), 'baseline')).toEqual([]);
    expect(await controls(type('spc_t'), 'baseline')).toEqual([`seLinuxOptions@${c0}.securityContext.seLinuxOptions.type`]);
    expect(await controls(type('container_engine_t'), 'baseline', 'v1.31')).toEqual([]);
    expect(await controls(type('container_engine_t'), 'baseline', 'v1.30')).toHaveLength(1);
    expect(await controls(pod((p) => (p.spec.securityContext.seLinuxOptions = { user: 'root' })), 'baseline')).toEqual([
      'seLinuxOptions@spec.securityContext.seLinuxOptions.user',
    ]);
    expect(await controls(pod((p) => (p.spec.securityContext.seLinuxOptions = { role: 'sysadm_r' })), 'baseline')).toEqual([
      'seLinuxOptions@spec.securityContext.seLinuxOptions.role',
    ]);
  });

  it('procMount: Default only; hostUsers:false relief at baseline v1.35+, never at restricted', async () => {
    const unmasked = (hostUsers?: boolean) =>
      pod((p) => {
        p.spec.containers[0].securityContext.procMount = 'Unmasked';
        if (hostUsers !== undefined) p.spec.hostUsers = hostUsers;
      });
    expect(await controls(unmasked(), 'baseline')).toEqual([`procMount@${c0}.securityContext.procMount`]);
    expect(await controls(unmasked(false), 'baseline', 'v1.35')).toEqual([]);
    expect(await controls(unmasked(false), 'baseline', 'latest')).toEqual([]);
    expect(await controls(unmasked(false), 'baseline', 'v1.34')).toEqual([`procMount@${c0}.securityContext.procMount`]);
    expect(await controls(unmasked(true), 'baseline', 'v1.35')).toHaveLength(1);
    expect(await controls(unmasked(false), 'restricted', 'v1.35')).toEqual([`procMount_restricted@${c0}.securityContext.procMount`]);
    expect(await controls(unmasked(false), 'restricted', 'v1.34')).toEqual([`procMount@${c0}.securityContext.procMount`]);
    expect(await controls(pod((p) => (p.spec.containers[0].securityContext.procMount = 'Default')), 'restricted')).toEqual([]);
  });

  it('seccompProfile_baseline: annotations before v1.19, fields from v1.19', async () => {
    const ann = pod((p) => (p.metadata.annotations = { 'seccomp.security.alpha.kubernetes.io/pod': 'unconfined' }));
    expect(await controls(ann, 'baseline', 'v1.18')).toEqual([
      'seccompProfile_baseline@metadata.annotations["seccomp.security.alpha.kubernetes.io/pod"]',
    ]);
    expect(await controls(ann, 'baseline', 'v1.19')).toEqual([]);
    const ctrAnn = pod((p) => (p.metadata.annotations = { 'container.seccomp.security.alpha.kubernetes.io/app': 'unconfined' }));
    expect(await controls(ctrAnn, 'baseline', 'v1.0')).toHaveLength(1);
    const field = pod((p) => (p.spec.containers[0].securityContext.seccompProfile = { type: 'Unconfined' }));
    expect(await controls(field, 'baseline', 'v1.19')).toEqual([`seccompProfile_baseline@${c0}.securityContext.seccompProfile.type`]);
    expect(await controls(field, 'baseline', 'v1.18')).toEqual([]);
    expect(await controls(field, 'restricted')).toEqual([`seccompProfile_restricted@${c0}.securityContext.seccompProfile.type`]);
  });

  it('sysctls: the safe list grows with the version', async () => {
    const s = (name: string) => pod((p) => (p.spec.securityContext.sysctls = [{ name, value: '1' }]));
    expect(await controls(s('kernel.shm_rmid_forced'), 'baseline', 'v1.0')).toEqual([]);
    expect(await controls(s('kernel.msgmax'), 'baseline')).toEqual(['sysctls@spec.securityContext.sysctls']);
    expect(await controls(s('net.ipv4.ip_local_reserved_ports'), 'baseline', 'v1.26')).toHaveLength(1);
    expect(await controls(s('net.ipv4.ip_local_reserved_ports'), 'baseline', 'v1.27')).toEqual([]);
    expect(await controls(s('net.ipv4.tcp_keepalive_time'), 'baseline', 'v1.28')).toHaveLength(1);
    expect(await controls(s('net.ipv4.tcp_keepalive_time'), 'baseline', 'v1.29')).toEqual([]);
    expect(await controls(s('net.ipv4.tcp_rmem'), 'baseline', 'v1.31')).toHaveLength(1);
    expect(await controls(s('net.ipv4.tcp_rmem'), 'baseline', 'v1.32')).toEqual([]);
    // latest is v1.36: the unreleased v1.37 additions are opt-in by pinning
    expect(await controls(s('net.ipv4.tcp_slow_start_after_idle'), 'baseline', 'latest')).toHaveLength(1);
    expect(await controls(s('net.ipv4.tcp_slow_start_after_idle'), 'baseline', 'v1.37')).toEqual([]);
  });

  it('hostProbesAndHostLifecycle: from v1.34, probes and lifecycle hooks', async () => {
    const probe = pod((p) => (p.spec.containers[0].livenessProbe = { httpGet: { host: '10.0.0.1', port: 80 } }));
    expect(await controls(probe, 'baseline', 'v1.34')).toEqual([`hostProbesAndHostLifecycle@${c0}.livenessProbe.httpGet.host`]);
    expect(await controls(probe, 'baseline', 'v1.33')).toEqual([]);
    const hook = pod((p) => (p.spec.initContainers = [{ ...safeInit(), lifecycle: { preStop: { tcpSocket: { host: 'evil', port: 1 } } } }]));
    expect(await controls(hook, 'baseline')).toEqual(['hostProbesAndHostLifecycle@spec.initContainers[0].lifecycle.preStop.tcpSocket.host']);
    const empty = pod((p) => (p.spec.containers[0].readinessProbe = { tcpSocket: { host: '', port: 80 } }));
    expect(await controls(empty, 'baseline')).toEqual([]);
  });
});

describe('restricted controls', () => {
  it('restrictedVolumes: only the allowed volume types', async () => {
    const vol = (v: Record<string, unknown>) => pod((p) => (p.spec.volumes = [{ name: 'v', ...v }]));
    for (const ok of ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'image', 'persistentVolumeClaim', 'projected', 'secret']) {
      expect(await controls(vol({ [ok]: {} }), 'restricted')).toEqual([]);
    }
    expect(await controls(vol({ nfs: { server: 'x', path: '/' } }), 'restricted')).toEqual(['restrictedVolumes@spec.volumes[0].nfs']);
    expect(await controls(vol({ nfs: { server: 'x', path: '/' } }), 'baseline')).toEqual([]);
    expect(await controls(vol({}), 'restricted')).toEqual([]); // defaulted to emptyDir by the API server
  });

  it('allowPrivilegeEscalation: must be false on every container; Windows relief from v1.25', async () => {
    const unset = pod((p) => delete p.spec.containers[0].securityContext.allowPrivilegeEscalation);
    expect(await controls(unset)).toEqual([`allowPrivilegeEscalation@${c0}.securityContext.allowPrivilegeEscalation`]);
    const t = pod((p) => (p.spec.containers[0].securityContext.allowPrivilegeEscalation = true));
    expect(await controls(t)).toHaveLength(1);
    const eph = pod((p) => (p.spec.ephemeralContainers = [{ name: 'd', image: 'x', securityContext: { capabilities: { drop: ['ALL'] } } }]));
    expect(await controls(eph)).toEqual(['allowPrivilegeEscalation@spec.ephemeralContainers[0].securityContext.allowPrivilegeEscalation']);
    expect(await controls(unset, 'restricted', 'v1.7')).toEqual([]);
    const win = pod((p) => {
      p.spec.os = { name: 'windows' };
      delete p.spec.containers[0].securityContext.allowPrivilegeEscalation;
    });
    expect(await controls(win, 'restricted', 'v1.25')).toEqual([]);
    expect(await controls(win, 'restricted', 'v1.24')).toEqual([`allowPrivilegeEscalation@${c0}.securityContext.allowPrivilegeEscalation`]);
  });

  it('runAsNonRoot: pod level with container override, explicit false anywhere fails', async () => {
    const noPod = pod((p) => delete p.spec.securityContext.runAsNonRoot);
    expect(await controls(noPod)).toEqual([`runAsNonRoot@${c0}.securityContext.runAsNonRoot`]);
    const ctrTrue = pod((p) => {
      delete p.spec.securityContext.runAsNonRoot;
      p.spec.containers[0].securityContext.runAsNonRoot = true;
    });
    expect(await controls(ctrTrue)).toEqual([]);
    const ctrFalse = pod((p) => (p.spec.containers[0].securityContext.runAsNonRoot = false));
    expect(await controls(ctrFalse)).toEqual([`runAsNonRoot@${c0}.securityContext.runAsNonRoot`]);
    const podFalse = pod((p) => {
      p.spec.securityContext.runAsNonRoot = false;
      p.spec.containers[0].securityContext.runAsNonRoot = true;
    });
    expect(await controls(podFalse)).toEqual(['runAsNonRoot@spec.securityContext.runAsNonRoot']);
    const initUnset = pod((p) => {
      delete p.spec.securityContext.runAsNonRoot;
      p.spec.containers[0].securityContext.runAsNonRoot = true;
      p.spec.initContainers = [safeInit()];
    });
    expect(await controls(initUnset)).toEqual(['runAsNonRoot@spec.initContainers[0].securityContext.runAsNonRoot']);
    const userNs = pod((p) => {
      delete p.spec.securityContext.runAsNonRoot;
      p.spec.hostUsers = false;
    });
    expect(await controls(userNs, 'restricted', 'v1.35')).toEqual([]);
    expect(await controls(userNs, 'restricted', 'v1.34')).toHaveLength(1);
    expect(await controls(noPod, 'baseline')).toEqual([]);
  });

  it('runAsUser: never 0, from v1.23; hostUsers:false relief from v1.35', async () => {
    const podRoot = pod((p) => (p.spec.securityContext.runAsUser = 0));
    expect(await controls(podRoot)).toEqual(['runAsUser@spec.securityContext.runAsUser']);
    expect(await controls(podRoot, 'restricted', 'v1.22')).toEqual([]);
    const dbg = pod((p) => (p.spec.ephemeralContainers = [{ ...safeDebug(), securityContext: { ...safeDebug().securityContext, runAsUser: 0 } }]));
    expect(await controls(dbg)).toEqual(['runAsUser@spec.ephemeralContainers[0].securityContext.runAsUser']);
    expect(await controls(pod((p) => (p.spec.containers[0].securityContext.runAsUser = 1000)))).toEqual([]);
    const userNs = pod((p) => {
      p.spec.securityContext.runAsUser = 0;
      p.spec.hostUsers = false;
    });
    expect(await controls(userNs, 'restricted', 'latest')).toEqual([]);
    expect(await controls(userNs, 'restricted', 'v1.34')).toHaveLength(1);
  });

  it('seccompProfile_restricted: pod default with container override; Windows relief from v1.25', async () => {
    const none = pod((p) => delete p.spec.securityContext.seccompProfile);
    expect(await controls(none)).toEqual([`seccompProfile_restricted@${c0}.securityContext.seccompProfile.type`]);
    const ctrOnly = pod((p) => {
      delete p.spec.securityContext.seccompProfile;
      p.spec.containers[0].securityContext.seccompProfile = { type: 'Localhost', localhostProfile: 'p.json' };
    });
    expect(await controls(ctrOnly)).toEqual([]);
    const override = pod((p) => (p.spec.containers[0].securityContext.seccompProfile = { type: 'Unconfined' }));
    expect(await controls(override)).toEqual([`seccompProfile_restricted@${c0}.securityContext.seccompProfile.type`]);
    const podBad = pod((p) => (p.spec.securityContext.seccompProfile = { type: 'Unconfined' }));
    expect(await controls(podBad)).toEqual([
      'seccompProfile_restricted@spec.securityContext.seccompProfile.type',
      `seccompProfile_restricted@${c0}.securityContext.seccompProfile.type`,
    ]);
    const win = pod((p) => {
      p.spec.os = { name: 'windows' };
      delete p.spec.securityContext.seccompProfile;
    });
    expect(await controls(win, 'restricted', 'v1.25')).toEqual([]);
    expect(await controls(win, 'restricted', 'v1.24')).toHaveLength(1);
    expect(await controls(none, 'restricted', 'v1.18')).toEqual([]);
  });

  it('capabilities_restricted: drop ALL, add only NET_BIND_SERVICE; Windows relief from v1.25', async () => {
    const noDrop = pod((p) => delete p.spec.containers[0].securityContext.capabilities);
    expect(await controls(noDrop)).toEqual([`capabilities_restricted@${c0}.securityContext.capabilities.drop`]);
    const lower = pod((p) => (p.spec.containers[0].securityContext.capabilities.drop = ['all']));
    expect(await controls(lower)).toHaveLength(1);
    expect(await controls(pod((p) => (p.spec.containers[0].securityContext.capabilities.add = ['NET_BIND_SERVICE'])))).toEqual([]);
    expect(await controls(pod((p) => (p.spec.containers[0].securityContext.capabilities.add = ['NET_ADMIN'])))).toEqual([
      `capabilities_restricted@${c0}.securityContext.capabilities.add`,
    ]);
    const win = pod((p) => {
      p.spec.os = { name: 'windows' };
      delete p.spec.containers[0].securityContext.capabilities;
    });
    expect(await controls(win, 'restricted', 'v1.25')).toEqual([]);
    expect(await controls(win, 'restricted', 'v1.22')).toHaveLength(1);
    expect(await controls(noDrop, 'restricted', 'v1.21')).toEqual([]);
  });

  it('Windows relief does not extend to runAsNonRoot or baseline controls', async () => {
    const win = pod((p) => {
      p.spec.os = { name: 'windows' };
      delete p.spec.securityContext.runAsNonRoot;
      p.spec.hostNetwork = true;
    });
    expect(await controls(win)).toEqual(['hostNamespaces@spec.hostNetwork', `runAsNonRoot@${c0}.securityContext.runAsNonRoot`]);
  });
});

describe('versions', () => {
  it('latest is v1.36; versions beyond the newest revision clamp to it', () => {
    expect(LATEST_MINOR).toBe(36);
    expect(resolveMinor('latest')).toBe(36);
    expect(resolveMinor('v1.99')).toBe(MAX_MINOR);
    expect(MAX_MINOR).toBe(37);
    expect(() => resolveMinor('1.25')).toThrow(/invalid/);
  });

  it('restricted = baseline minus overridden checks plus restricted checks', () => {
    const ids = (level: Level, v: string) => checksFor(level, v).map((c) => c.id).sort();
    expect(ids('restricted', 'latest')).not.toContain('capabilities_baseline');
    expect(ids('restricted', 'latest')).not.toContain('hostPathVolumes');
    expect(ids('restricted', 'latest')).not.toContain('seccompProfile_baseline');
    expect(ids('restricted', 'latest')).not.toContain('procMount');
    expect(ids('restricted', 'v1.34')).toContain('procMount');
    expect(ids('restricted', 'v1.0')).toEqual(expect.arrayContaining(['capabilities_baseline', 'seccompProfile_baseline', 'runAsNonRoot']));
    expect(ids('baseline', 'latest')).toHaveLength(12);
    expect(ids('restricted', 'latest')).toHaveLength(15);
    expect(ids('baseline', 'v1.33')).not.toContain('hostProbesAndHostLifecycle');
  });
});
