/**
 * The synthesized runtime Deployment runs the image the README and the Dockerfile name, with an
 * entrypoint the image provides.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../..');
const read = (p: string) => readFileSync(path.join(root, p), 'utf8');

describe('the synthesized Deployment and the README agree on the image', () => {
  it('runs the image the README tells you to build, with the entrypoint the Dockerfile sets', () => {
    const docs = readdirSync(path.join(root, 'dist'))
      .filter((f) => f.endsWith('.yaml'))
      .flatMap((f) => parseAllDocuments(read(`dist/${f}`)).map((d) => d.toJS() as Record<string, unknown> | null));
    const deployment = docs.find(
      (d) => d?.kind === 'Deployment' && JSON.stringify(d).includes('/etc/portcullis/bundle'),
    ) as { spec: { template: { spec: { containers: Array<{ image: string; command?: string[]; args?: string[] }> } } } } | undefined;
    expect(deployment, 'dist/ holds the runtime Deployment').toBeDefined();
    const container = deployment?.spec.template.spec.containers[0];
    const image = container?.image ?? '';
    expect(image).toMatch(/^[a-z0-9.-]+(:\d+)?\/[a-z0-9._/-]+:[\w.-]+$/);
    expect(read('README.md')).toContain(`docker build -t ${image} .`);
    expect(read('Dockerfile')).toContain(`docker build -t ${image} .`);
    const argv = [...(container?.command ?? []), ...(container?.args ?? [])];
    if (container?.command !== undefined) expect(container.command[0]).toBe('portcullis');
    expect(argv.filter((a) => a !== 'portcullis')[0]).toBe('serve');
  });
});
