import { describe, expect, it } from 'vitest';
import { CONTROLLER_TARGETS, POD_TARGET } from '../../runtime/bundle';
import { podView } from '../../runtime/engine/pod-view';

describe('podView', () => {
  const deployment = {
    kind: 'Deployment',
    spec: { template: { metadata: { labels: { app: 'x' } }, spec: { initContainers: [{ name: 'init', image: 'i' }], containers: [{ name: 'app', image: 'a' }, 'junk', { image: 'b' }] } } },
  };

  it('locates the template containers with their patch pointers and message paths', () => {
    const view = podView(deployment, CONTROLLER_TARGETS.Deployment)!;
    expect(view.specField).toBe('spec.template.spec');
    expect(view.containers.map((c) => [c.kind, c.index, c.name, c.image, c.pointer, c.field])).toEqual([
      ['initContainers', 0, 'init', 'i', '/spec/template/spec/initContainers/0', 'spec.template.spec.initContainers[0]'],
      ['containers', 0, 'app', 'a', '/spec/template/spec/containers/0', 'spec.template.spec.containers[0]'],
      // A non-object entry is skipped; its index still counts for the next one.
      ['containers', 2, '#2', 'b', '/spec/template/spec/containers/2', 'spec.template.spec.containers[2]'],
    ]);
  });

  it('serializes a container with its paths', () => {
    const [c] = podView({ kind: 'Pod', spec: { containers: [{ name: 'web', image: 'nginx' }] } }, POD_TARGET)!.containers;
    expect(JSON.parse(JSON.stringify(c))).toEqual({
      kind: 'containers',
      index: 0,
      name: 'web',
      image: 'nginx',
      container: { name: 'web', image: 'nginx' },
      pointer: '/spec/containers/0',
      field: 'spec.containers[0]',
    });
  });

  it('has no view when the target holds no pod spec', () => {
    expect(podView({ kind: 'Deployment', spec: {} }, CONTROLLER_TARGETS.Deployment)).toBeUndefined();
  });
});
