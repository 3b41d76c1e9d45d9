import { posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { DenyRuntimeSocketRule, HostNamespacesRule, HostPathsRule } from '../../../runtime/bundle';
import { exposesPath, isPathWithin, normalizeHostPath } from '../../../runtime/engine/host-path';
import { DEFAULT_RUNTIME_SOCKETS, denyRuntimeSocket } from '../../../runtime/engine/rules/deny-runtime-socket';
import { hostNamespaces } from '../../../runtime/engine/rules/host-namespaces';
import { hostPaths } from '../../../runtime/engine/rules/host-paths';
import { cronJob, pod, POD_TARGET, targetFor, validate } from './helpers';

describe('normalizeHostPath', () => {
  it.each([
    ['/', '/'],
    ['/var/log', '/var/log'],
    ['/var/log/', '/var/log'],
    ['//var///log//', '/var/log'],
    ['/var/./log/.', '/var/log'],
    ['/var/log/../run/docker.sock', '/var/run/docker.sock'],
    ['/var/log/pods/../../../../../etc', '/etc'],
    ['/..', '/'],
    ['/var/lög/ü', '/var/lög/ü'],
    ['/a/.../b', '/a/.../b'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeHostPath(input)).toBe(expected);
  });
  it.each([[''], ['var/log'], ['./var'], ['../etc'], ['/var/\0log'], [`/${'a'.repeat(5000)}`]])('rejects %j', (input) => {
    expect(normalizeHostPath(input)).toBeUndefined();
  });
  it('containment is on segment boundaries', () => {
    expect(isPathWithin('/var/log', '/var/log')).toBe(true);
    expect(isPathWithin('/var/log/pods', '/var/log')).toBe(true);
    expect(isPathWithin('/var/logs', '/var/log')).toBe(false);
    expect(isPathWithin('/anything', '/')).toBe(true);
  });
  it('treats /var/run and /run as one directory', () => {
    expect(exposesPath('/run', '/var/run/docker.sock')).toBe(true);
    expect(exposesPath('/var/run', '/run/containerd/containerd.sock')).toBe(true);
    expect(exposesPath('/var', '/run/crio/crio.sock')).toBe(true);
    expect(exposesPath('/var/run/docker.sock', '/run/docker.sock')).toBe(true);
    expect(exposesPath('/var/lib', '/run/docker.sock')).toBe(false);
    expect(exposesPath('/run/user', '/run/docker.sock')).toBe(false);
  });
});

const hostPathRule: HostPathsRule = {
  name: 'host-paths',
  type: 'hostPaths',
  target: POD_TARGET,
  allowed: [
    { pathPrefix: '/var/log', readOnly: true },
    { pathPrefix: '/data/scratch/', readOnly: false },
  ],
};

function withHostPath(path: unknown, mounts: { readOnly?: unknown }[] = [{ readOnly: true }], extra: Record<string, unknown> = {}) {
  return pod({
    volumes: [{ name: 'cfg', configMap: { name: 'x' } }, { name: 'host', hostPath: { path } }],
    containers: [{ name: 'app', image: 'a:1', volumeMounts: mounts.map((m) => ({ name: 'host', mountPath: '/h', ...m })) }],
    ...extra,
  });
}

describe('hostPaths', () => {
  it.each(['/var/log', '/var/log/', '/var/log/pods', '/var//log/./pods', '/data/scratch', '/data/scratch/x/y'])('allows %s', async (path) => {
    expect(await validate(hostPaths, hostPathRule, withHostPath(path))).toEqual([]);
  });

  it.each([
    ['/var/log/../run/docker.sock', '/var/run/docker.sock'],
    ['/var/log/pods/../../../etc/shadow', '/etc/shadow'],
    ['/var/logs', '/var/logs'],
    ['/var', '/var'],
    ['/', '/'],
    ['/data/scratch/../../etc', '/etc'],
    ['/data/scratchpad', '/data/scratchpad'],
  ])('denies %s (traversal and lookalike prefixes)', async (path, normalized) => {
    const findings = await validate(hostPaths, hostPathRule, withHostPath(path));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      control: 'hostPaths',
      field: 'spec.volumes[1].hostPath.path',
      exemptField: 'hostPath.path',
      values: [normalized],
      allowed: '/var/log (read-only), /data/scratch/',
    });
  });

  it.each([['var/log'], [''], [null], [42]])('denies a non-absolute path %j', async (path) => {
    const findings = await validate(hostPaths, hostPathRule, withHostPath(path));
    expect(findings).toHaveLength(1);
    expect(findings[0].message).toContain('not an absolute path');
  });

  it('a read-only prefix requires readOnly on every mount of the volume, in every container kind', async () => {
    const object = pod({
      volumes: [{ name: 'logs', hostPath: { path: '/var/log' } }],
      initContainers: [{ name: 'init', image: 'a:1', volumeMounts: [{ name: 'logs', mountPath: '/l', readOnly: true }] }],
      containers: [
        { name: 'app', image: 'a:1', volumeMounts: [{ name: 'other', mountPath: '/o' }, { name: 'logs', mountPath: '/l' }] },
        { name: 'side', image: 'a:1', volumeMounts: [{ name: 'logs', mountPath: '/l', readOnly: false }] },
      ],
      ephemeralContainers: [{ name: 'dbg', image: 'a:1', volumeMounts: [{ name: 'logs', mountPath: '/l', readOnly: 'true' }] }],
    });
    const findings = await validate(hostPaths, hostPathRule, object);
    expect(findings.map((f) => [f.container?.name, f.field])).toEqual([
      ['app', 'spec.containers[0].volumeMounts[1].readOnly'],
      ['side', 'spec.containers[1].volumeMounts[0].readOnly'],
      ['dbg', 'spec.ephemeralContainers[0].volumeMounts[0].readOnly'],
    ]);
    expect(findings[0].message).toBe('container "app" mounts hostPath volume "logs" (/var/log) writable: volumeMounts[1].readOnly=false is not allowed');
  });

  it('a writable prefix that also matches lifts the read-only requirement', async () => {
    const rule: HostPathsRule = { ...hostPathRule, allowed: [{ pathPrefix: '/var/log', readOnly: true }, { pathPrefix: '/var', readOnly: false }] };
    expect(await validate(hostPaths, rule, withHostPath('/var/log', [{ readOnly: false }]))).toEqual([]);
  });

  it('an empty allow-list denies every hostPath, and pods without hostPath pass', async () => {
    const rule: HostPathsRule = { ...hostPathRule, allowed: [] };
    expect(await validate(hostPaths, rule, withHostPath('/var/log'))).toHaveLength(1);
    expect(await validate(hostPaths, rule, pod({ containers: [{ name: 'a', image: 'a:1' }], volumes: [{ name: 'e', emptyDir: {} }] }))).toEqual([]);
  });

  it('checks CronJob pod templates', async () => {
    const object = cronJob({ volumes: [{ name: 'h', hostPath: { path: '/etc' } }], containers: [{ name: 'a', image: 'a:1' }] });
    const findings = await validate(hostPaths, { ...hostPathRule, target: targetFor('CronJob') }, object);
    expect(findings.map((f) => f.field)).toEqual(['spec.jobTemplate.spec.template.spec.volumes[0].hostPath.path']);
  });
});

const socketRule: DenyRuntimeSocketRule = { name: 'sockets', type: 'denyRuntimeSocket', target: POD_TARGET, sockets: [...DEFAULT_RUNTIME_SOCKETS] };

describe('denyRuntimeSocket', () => {
  it.each([
    ...DEFAULT_RUNTIME_SOCKETS,
    '/var/run',
    '/run',
    '/var',
    '/',
    '/run/containerd',
    '/var/run/crio/',
    '/var/run/../run/docker.sock',
    '//run//docker.sock',
    '/var/log/../../run/podman/podman.sock',
    '/run/./containerd/./containerd.sock',
  ])('denies %s', async (path) => {
    const findings = await validate(denyRuntimeSocket, socketRule, withHostPath(path));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ control: 'denyRuntimeSocket', field: 'spec.volumes[1].hostPath.path' });
  });

  it.each(['/var/log', '/run/user/1000', '/var/lib/docker', '/run/docker.sock.d', '/var/run2', '/opt/run/docker.sock'])(
    'allows %s',
    async (path) => {
      expect(await validate(denyRuntimeSocket, socketRule, withHostPath(path))).toEqual([]);
    },
  );

  it('names the exposed sockets in the message', async () => {
    const [f] = await validate(denyRuntimeSocket, socketRule, withHostPath('/run/containerd'));
    expect(f.message).toBe(
      'volume "host" hostPath.path=/run/containerd is not allowed: it exposes the container-runtime sockets /var/run/containerd/containerd.sock, /run/containerd/containerd.sock',
    );
    const [all] = await validate(denyRuntimeSocket, socketRule, withHostPath('/var/run'));
    expect(all.message).toBe(
      'volume "host" hostPath.path=/var/run is not allowed: it exposes the container-runtime sockets /var/run/docker.sock, /run/docker.sock, /var/run/containerd/containerd.sock and 7 more',
    );
    const [g] = await validate(denyRuntimeSocket, socketRule, withHostPath('/var/run/docker.sock'));
    expect(g.message).toContain('it is a container-runtime socket');
  });

  it('a socket configured only as /run/… is still found under /var and /var/run', async () => {
    const rule = { ...socketRule, sockets: ['/run/k3s/containerd/containerd.sock'] };
    for (const path of ['/var', '/var/run/k3s', '/run/k3s/containerd/containerd.sock']) {
      expect(await validate(denyRuntimeSocket, rule, withHostPath(path)), path).toHaveLength(1);
    }
    expect(await validate(denyRuntimeSocket, rule, withHostPath('/var/run/docker.sock'))).toEqual([]);
  });

  it('fails closed on a relative path', async () => {
    expect(await validate(denyRuntimeSocket, socketRule, withHostPath('run/docker.sock'))).toHaveLength(1);
  });
});

const nsRule: HostNamespacesRule = { name: 'host-ns', type: 'hostNamespaces', target: POD_TARGET, deny: ['hostPID', 'hostIPC', 'hostNetwork'] };

describe('hostNamespaces', () => {
  it('allows false and unset', async () => {
    expect(await validate(hostNamespaces, nsRule, pod({ hostPID: false, hostNetwork: false, containers: [] }))).toEqual([]);
  });
  it('reports every host namespace in one finding each', async () => {
    const findings = await validate(hostNamespaces, nsRule, pod({ hostPID: true, hostIPC: true, hostNetwork: true, containers: [] }));
    expect(findings.map((f) => [f.field, f.exemptField, f.values, f.message])).toEqual([
      ['spec.hostPID', 'hostPID', ['true'], 'spec.hostPID=true is not allowed'],
      ['spec.hostIPC', 'hostIPC', ['true'], 'spec.hostIPC=true is not allowed'],
      ['spec.hostNetwork', 'hostNetwork', ['true'], 'spec.hostNetwork=true is not allowed'],
    ]);
  });
  it('only checks the namespaces the rule lists, and flags non-boolean values', async () => {
    const rule = { ...nsRule, deny: ['hostNetwork' as const] };
    expect(await validate(hostNamespaces, rule, pod({ hostPID: true, containers: [] }))).toEqual([]);
    expect((await validate(hostNamespaces, rule, pod({ hostNetwork: 'yes', containers: [] })))[0].values).toEqual(['yes']);
  });
  it('checks controllers', async () => {
    const object = cronJob({ hostNetwork: true, containers: [] });
    const findings = await validate(hostNamespaces, { ...nsRule, target: targetFor('CronJob') }, object);
    expect(findings.map((f) => f.field)).toEqual(['spec.jobTemplate.spec.template.spec.hostNetwork']);
  });
});

describe('host path properties', () => {
  const segment = fc.constantFrom('var', 'log', 'run', 'docker.sock', '..', '.', '', 'pods', '...', 'ü');
  const absolute = fc.array(segment, { maxLength: 12 }).map((s) => `/${s.join('/')}`);

  it('normalizeHostPath agrees with path.posix.normalize (minus the trailing slash)', () => {
    fc.assert(
      fc.property(absolute, (p) => {
        const expected = posix.normalize(p).replace(/(.)\/$/, '$1');
        expect(normalizeHostPath(p)).toBe(expected);
      }),
      { numRuns: 3000 },
    );
  });

  it('a path that normalizes outside /var/log is never admitted by a /var/log allow-list', async () => {
    await fc.assert(
      fc.asyncProperty(absolute, async (p) => {
        const findings = await validate(hostPaths, hostPathRule, withHostPath(p));
        const inside = isPathWithin(posix.normalize(p).replace(/(.)\/$/, '$1'), '/var/log');
        expect(findings.length === 0).toBe(inside);
      }),
      { numRuns: 1000 },
    );
  });
});
