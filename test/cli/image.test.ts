/**
 * The container image's invariants (Docker cannot build here, so the Dockerfile is checked as
 * text): multi-stage, compiled JS outside dist/, production dependencies only, non-root uid 65532,
 * `portcullis serve` as the entrypoint with the paths the synthesized Deployment mounts — and the
 * code that `portcullis` loads imports nothing from devDependencies (they are not in the image).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importsOf, resolveLocal } from '../helpers/import-graph';

const root = path.resolve(__dirname, '../..');
const read = (p: string) => readFileSync(path.join(root, p), 'utf8');

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

function parseDockerfile(text: string): Stage[] {
  const joined = text.replace(/\\\r?\n/g, ' ');
  const stages: Stage[] = [];
  const args = new Map<string, string>();
  for (const raw of joined.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\w+)\s+(.*)$/.exec(line);
    if (m === null) continue;
    const op = m[1].toUpperCase();
    const rest = m[2].replace(/\$\{(\w+)\}/g, (_, k: string) => args.get(k) ?? '');
    if (op === 'ARG' && stages.length === 0) {
      const [k, v] = m[2].split('=');
      args.set(k, v ?? '');
    } else if (op === 'FROM') {
      const f = /^(\S+)(?:\s+AS\s+(\S+))?/i.exec(rest);
      stages.push({ from: f?.[1] ?? rest, name: f?.[2], instructions: [] });
    } else {
      stages[stages.length - 1]?.instructions.push({ op, args: rest });
    }
  }
  return stages;
}

function execForm(args: string): string[] {
  const parsed: unknown = JSON.parse(args);
  expect(Array.isArray(parsed), `${args} is in exec (JSON array) form`).toBe(true);
  return parsed as string[];
}

const stages = parseDockerfile(read('Dockerfile'));
const final = stages[stages.length - 1];
const last = (op: string) => [...final.instructions].reverse().find((i) => i.op === op);

describe('Dockerfile', () => {
  it('is multi-stage on a minimal Node 24 LTS base (Node 20 left upstream support on 2026-04-30)', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const s of stages) expect(s.from).toMatch(/^(node:24-bookworm-slim|gcr\.io\/distroless\/nodejs24-debian12(:\S+)?)$/);
  });

  it('compiles TypeScript into lib/ (never dist/) and ships only lib/runtime', () => {
    const build = stages.find((s) => s.instructions.some((i) => i.op === 'RUN' && /npm run build/.test(i.args)));
    expect(build?.name).toBeDefined();
    const pkg = JSON.parse(read('package.json'));
    expect(pkg.scripts.build).toBe('rm -rf lib && tsc -p tsconfig.build.json');
    expect(JSON.parse(read('tsconfig.build.json')).compilerOptions.outDir).toBe('lib');
    const copies = final.instructions.filter((i) => i.op === 'COPY').map((i) => i.args);
    expect(copies).toContain(`--from=${build?.name} /src/lib/runtime ./runtime`);
    expect(copies.join('\n')).not.toMatch(/dist|\.ts\b/);
  });

  it('installs production dependencies only', () => {
    const installs = stages.flatMap((s) => s.instructions.filter((i) => i.op === 'RUN' && /npm ci/.test(i.args)).map((i) => ({ s, i })));
    const copied = final.instructions.find((i) => i.op === 'COPY' && i.args.includes('node_modules'));
    const from = /--from=(\S+)/.exec(copied?.args ?? '')?.[1];
    const producer = installs.find((x) => x.s.name === from);
    expect(producer?.i.args).toMatch(/--omit=dev/);
  });

  it('runs as the non-root uid 65532 with `portcullis serve` as the entrypoint', () => {
    expect(last('USER')?.args).toMatch(/^65532(:65532)?$/);
    const entrypoint = execForm(last('ENTRYPOINT')?.args ?? '[]');
    const cmd = execForm(last('CMD')?.args ?? '[]');
    expect(entrypoint).toEqual(['portcullis']);
    expect(cmd).toEqual([
      'serve',
      '--bundle',
      '/etc/portcullis/bundle/bundle.json',
      '--tls-cert',
      '/etc/portcullis/tls/tls.crt',
      '--tls-key',
      '/etc/portcullis/tls/tls.key',
      '--port',
      '8443',
    ]);
    // the launcher that makes `portcullis` resolvable on PATH runs the compiled CLI
    expect(final.instructions.some((i) => i.op === 'RUN' && i.args.includes('exec node /app/runtime/cli/main.js'))).toBe(true);
  });

  it('keeps the build context small: .dockerignore admits only what the build needs', () => {
    const lines = read('.dockerignore')
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'));
    expect(lines[0]).toBe('*');
    expect(lines.slice(1).sort()).toEqual(['!constructs/**', '!package-lock.json', '!package.json', '!runtime/**', '!tsconfig.build.json', '!tsconfig.json']);
  });
});

function packageName(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}

describe('the code in the image', () => {
  it('imports only production dependencies and Node built-ins from every module `portcullis` can load', () => {
    const pkg = JSON.parse(read('package.json'));
    const prod = new Set(Object.keys(pkg.dependencies));
    const builtins = new Set(builtinModules);
    const seen = new Set<string>();
    const queue = [path.join(root, 'runtime/cli/main.ts')];
    const offenders: string[] = [];
    while (queue.length > 0) {
      const file = queue.pop() as string;
      if (seen.has(file)) continue;
      seen.add(file);
      for (const spec of importsOf(file)) {
        if (spec.startsWith('.')) {
          const target = resolveLocal(file, spec);
          if (target !== undefined) queue.push(target);
          continue;
        }
        const name = packageName(spec.replace(/^node:/, ''));
        if (spec.startsWith('node:') || builtins.has(name) || prod.has(name)) continue;
        offenders.push(`${path.relative(root, file)} imports ${spec}`);
      }
    }
    expect(seen.size).toBeGreaterThan(5);
    expect(offenders).toEqual([]);
  });

  it('keeps every runtime file outside dist/ (cdk8s synth deletes dist/)', () => {
    const tsconfig = JSON.parse(read('tsconfig.build.json'));
    expect(tsconfig.include).toEqual(['constructs', 'runtime']);
    expect(tsconfig.compilerOptions.outDir).not.toBe('dist');
    expect(readdirSync(path.join(root, 'runtime')).length).toBeGreaterThan(0);
  });
});
