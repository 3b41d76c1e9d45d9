/**
 * `portcullis init`: the files it writes, what it refuses (a non-empty directory, a private key),
 * placeholders for values not given, and — against this repository's sources — a scaffold that
 * typechecks (strict), synthesizes, passes its own fixtures, and whose placeholders make synth fail
 * naming policies/config.ts:<line> while dist/ stays byte-identical.
 */
import { generateKeyPairSync } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { command, ownPackage, pinnedVersions } from '../../runtime/cli/init-command';
import { PINNED_PACKAGES } from '../../runtime/cli/init/values';

const ROOT = path.resolve(__dirname, '../..');
const OWN = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  devDependencies: Record<string, string>;
  engines: { node: string };
};

const SCAFFOLD = [
  '.github/workflows/policies.yml',
  '.gitignore',
  'README.md',
  'argocd/application.yaml',
  'cdk8s.yaml',
  'package.json',
  'policies/app.ts',
  'policies/config.ts',
  'policies/fixtures/resources/workloads.yaml',
  'policies/fixtures/starting-set.yaml',
  'policies/images.ts',
  'policies/main.ts',
  'policies/pod-security.ts',
  'policies/resources.ts',
  'tsconfig.json',
];

const cleanups: string[] = [];
afterAll(() => {
  for (const d of cleanups) rmSync(d, { recursive: true, force: true });
});

function tempDir(base = tmpdir()): string {
  mkdirSync(base, { recursive: true });
  const d = mkdtempSync(path.join(base, 'portcullis-init-'));
  cleanups.push(d);
  return d;
}

/** Every file under dir, relative, sorted. */
function listFiles(dir: string, rel = ''): string[] {
  return readdirSync(path.join(dir, rel), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listFiles(dir, path.join(rel, e.name)) : [path.join(rel, e.name)]))
    .sort();
}

async function init(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((stdout += String(s)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((stderr += String(s)), true));
  try {
    return { code: await command.run(argv), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

function keyFiles(dir: string): { pub: string; priv: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pub = path.join(dir, 'cosign.pub');
  const priv = path.join(dir, 'cosign.key');
  writeFileSync(pub, publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(priv, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  return { pub, priv };
}

const read = (dir: string, file: string): string => readFileSync(path.join(dir, file), 'utf8');

/** The 1-based line of policies/config.ts holding `<setting>: placeholder(`. */
function placeholderLine(dir: string, setting: string): number {
  const i = read(dir, 'policies/config.ts')
    .split('\n')
    .findIndex((l) => l.includes(`${setting}: placeholder(`));
  expect(i, `${setting} placeholder`).toBeGreaterThanOrEqual(0);
  return i + 1;
}

describe('portcullis init', () => {
  it('writes the scaffold, lists the files and the next steps', async () => {
    const dir = path.join(tempDir(), 'acme-policies');
    const r = await init([dir, '--registry', 'registry.acme.example']);
    expect(r.code, r.stderr).toBe(0);
    expect(listFiles(dir)).toEqual(SCAFFOLD);
    for (const f of SCAFFOLD) expect(r.stdout).toContain(`  ${f}\n`);
    expect(r.stdout).toMatch(/Next steps:\n\s+cd .*acme-policies\n\s+npm install\n[\s\S]*npm run synth[\s\S]*npm test/);

    const pkg = JSON.parse(read(dir, 'package.json'));
    expect(pkg.name).toBe('acme-policies-policies');
    expect(pkg.scripts).toMatchObject({ synth: 'portcullis synth', test: expect.stringContaining('portcullis test'), scan: expect.any(String), diff: expect.any(String) });
    expect(pkg.dependencies.portcullis).toBe(`^${OWN.version}`);
    for (const name of PINNED_PACKAGES) expect({ ...pkg.dependencies, ...pkg.devDependencies }[name], name).toBe(OWN.devDependencies[name]);
    expect(pkg.engines.node).toBe(OWN.engines.node);

    expect(read(dir, 'cdk8s.yaml')).toMatch(/^app: npx tsx policies\/main\.ts$/m);
    expect(read(dir, 'cdk8s.yaml')).toMatch(/^output: \.portcullis\/synth$/m);
    expect(read(dir, '.gitignore').split('\n')).toEqual(expect.arrayContaining(['node_modules/', '.portcullis/']));
    expect(JSON.parse(read(dir, 'tsconfig.json')).compilerOptions.strict).toBe(true);
    expect(read(dir, 'policies/config.ts')).toContain("registry: 'registry.acme.example'");
    expect(read(dir, 'policies/fixtures/starting-set.yaml')).toContain('kind: PolicyTest');
    expect(read(dir, 'policies/fixtures/resources/workloads.yaml')).toContain('image: registry.acme.example/shop/api:1.4.2');

    const workflow = read(dir, '.github/workflows/policies.yml');
    expect(workflow).toContain('npm ci');
    expect(workflow).toMatch(/npx portcullis synth --output "\$out"\n\s+if ! diff -r "\$out" dist/);
    expect(workflow).toContain('npm test');
    expect(workflow).toContain('npx portcullis diff "$BASE" HEAD -o markdown');
    expect(workflow).toContain('gh pr comment');
    expect(workflow).toContain('BASE: origin/${{ github.base_ref }}');

    const steps = (parseYaml(workflow) as { jobs: { check: { steps: Array<{ run?: string; if?: string }> } } }).jobs.check.steps;
    expect(steps.map((st) => st.run?.split('\n')[0]).filter(Boolean)).toEqual(['npm ci', 'out="$(mktemp -d)"', 'npm test', 'if git cat-file -e "$BASE:dist/portcullis-bundle.json" 2>/dev/null; then']);
    expect(steps.at(-1)?.if).toBe("github.event_name == 'pull_request'");

    const argo = read(dir, 'argocd/application.yaml');
    expect(parseYaml(argo)).toMatchObject({
      kind: 'Application',
      spec: { source: { path: 'dist', directory: { include: '*.k8s.yaml' } }, destination: { namespace: 'portcullis-system' } },
    });
    expect(parseYaml(read(dir, 'policies/fixtures/starting-set.yaml'))).toMatchObject({
      kind: 'PolicyTest',
      resources: ['resources/workloads.yaml'],
      signatures: { 'registry.acme.example/shop/api:1.4.2': { verifiedBy: ['release-key'] } },
    });
    expect(argo).toContain("include: '*.k8s.yaml'");
    expect(argo).toMatch(/path: dist\n/);
    expect(argo).toContain('namespace: portcullis-system');
    expect(read(dir, 'README.md')).toMatch(/Audit → scan → Enforce/);
  });

  it('refuses a non-empty directory (exit 2, nothing written); --force writes into it', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'notes.txt'), 'keep me');
    const r = await init([dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is not empty \(notes\.txt\); nothing was written\. Fix: .*--force/);
    expect(listFiles(dir)).toEqual(['notes.txt']);

    const f = await init([dir, '--force']);
    expect(f.code, f.stderr).toBe(0);
    expect(listFiles(dir)).toEqual([...SCAFFOLD, 'notes.txt'].sort());
    expect(read(dir, 'notes.txt')).toBe('keep me');
  });

  it('refuses a private key passed as --public-key, and writes nothing', async () => {
    const keys = keyFiles(tempDir());
    const dir = path.join(tempDir(), 'p');
    const r = await init([dir, '--public-key', keys.priv]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--public-key: .*cosign\.key holds a PRIVATE key/);
    expect(existsSync(dir)).toBe(false);
    const bad = path.join(tempDir(), 'not-a-key.pem');
    writeFileSync(bad, 'hello\n');
    expect((await init([dir, '--public-key', bad])).stderr).toMatch(/holds no PEM public key/);
    expect(existsSync(dir)).toBe(false);
  });

  it('refuses values that cannot be right', async () => {
    const dir = path.join(tempDir(), 'v');
    expect((await init([dir, '--registry', 'https://registry.acme.example/team'])).stderr).toMatch(/--registry .* is not a registry host/);
    const bare = await init([dir, '--registry', 'myregistry']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('--registry "myregistry" has no \'.\' or \':\', so image references read it as a Docker Hub namespace');
    for (const host of ['localhost:5000', 'registry.acme.example', 'localhost']) {
      expect((await init([path.join(tempDir(), 'ok'), '--registry', host])).code, host).toBe(0);
    }
    expect((await init([dir, '--name', 'Acme Corp'])).stderr).toMatch(/--name "Acme Corp" is not a DNS label/);
    expect((await init([dir, '--keyless-issuer', 'token.actions.githubusercontent.com'])).stderr).toMatch(/is not an https URL/);
    const native = await init([dir, '--enforcement', 'native']);
    expect(native.code).toBe(2);
    expect(native.stderr).toContain('--enforcement "native" is not one of hybrid, webhook (a whole app in \'native\' would refuse the signature checks');
    expect(existsSync(dir)).toBe(false);
  });

  it('scaffolds hybrid enforcement by default, webhook on request', async () => {
    const hybrid = path.join(tempDir(), 'h');
    expect((await init([hybrid])).code).toBe(0);
    expect(read(hybrid, 'policies/config.ts')).toContain("  enforcement: 'hybrid',");
    expect(read(hybrid, 'policies/app.ts')).toContain('    enforcement: config.enforcement,');
    expect(read(hybrid, 'README.md')).toContain("`enforcement` in `policies/config.ts` is `'hybrid'`");
    const webhook = path.join(tempDir(), 'w');
    expect((await init([webhook, '--enforcement', 'webhook'])).code).toBe(0);
    expect(read(webhook, 'policies/config.ts')).toContain("  enforcement: 'webhook',");
  });

  it('answers --help with its usage, exit 0', async () => {
    const r = await init(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: portcullis init \[dir\]/);
    for (const flag of ['--name', '--registry', '--public-key', '--keyless-identity', '--keyless-issuer', '--namespace', '--repo-url', '--exemption-help', '--force', '--portcullis-spec']) {
      expect(r.stdout).toContain(flag);
    }
  });

  it('writes placeholders for values not given, and lists them with their lines', async () => {
    const dir = path.join(tempDir(), 'x');
    const r = await init([dir]);
    expect(r.code, r.stderr).toBe(0);
    const config = read(dir, 'policies/config.ts');
    expect(config).toContain("import { placeholder } from 'portcullis';");
    for (const setting of ['registry', 'runtimeImage', 'exemptionHelp', 'pem']) {
      expect(r.stdout).toContain(`policies/config.ts:${placeholderLine(dir, setting)}  ${setting}: `);
    }
    expect(read(dir, 'argocd/application.yaml')).toMatch(/repoURL: "REPLACE-ME: /);
    expect(r.stdout).toMatch(/argocd\/application\.yaml:\d+ {2}repoURL: /);
    expect(read(dir, 'README.md')).toContain(`\`policies/config.ts:${placeholderLine(dir, 'registry')}\`: registry:`);
    // only the identity was given: the issuer is a placeholder, the key is not asked for
    const k = path.join(tempDir(), 'k');
    expect((await init([k, '--keyless-identity', 'https://github.com/acme/build/.github/workflows/release.yml@refs/heads/main'])).code).toBe(0);
    expect(placeholderLine(k, 'issuer')).toBeGreaterThan(0);
    expect(read(k, 'policies/config.ts')).not.toContain('publicKey:');
  });

  it('writes no placeholder when every value is given', async () => {
    const keys = keyFiles(tempDir());
    const dir = path.join(tempDir(), 'full');
    const tgz = path.join(tempDir(), 'portcullis-9.9.9.tgz');
    writeFileSync(tgz, '');
    const r = await init([
      dir,
      ...['--name', 'acme', '--registry', 'registry.acme.example:5000', '--public-key', keys.pub],
      ...['--keyless-identity', 'https://github.com/acme/build/.github/workflows/release.yml@refs/heads/main', '--keyless-issuer', 'https://token.actions.githubusercontent.com'],
      ...['--namespace', 'acme-admission', '--runtime-image', 'registry.acme.example:5000/platform/portcullis:0.2.0'],
      ...['--repo-url', 'https://github.com/acme/policies.git', '--exemption-help', 'https://github.com/acme/policies/issues/new', '--portcullis-spec', tgz],
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('no placeholders to fill in');
    for (const f of SCAFFOLD) {
      expect(read(dir, f), f).not.toContain('REPLACE-ME');
      expect(read(dir, f), f).not.toMatch(/\w: placeholder\(/);
    }
    const config = read(dir, 'policies/config.ts');
    expect(config).toContain("'-----BEGIN PUBLIC KEY-----',");
    expect(config).toMatch(/subject: 'https:\/\/github\.com\/acme\/build\/.*',\n\s+issuer: 'https:\/\/token\.actions\.githubusercontent\.com',/);
    expect(config).toContain("runtimeNamespace: 'acme-admission'");
    expect(JSON.parse(read(dir, 'package.json')).dependencies.portcullis).toBe(`file:${tgz}`);
    expect(read(dir, 'argocd/application.yaml')).toContain('repoURL: "https://github.com/acme/policies.git"');
    expect(read(dir, 'argocd/application.yaml')).toContain('name: acme\n');
  });

  it('reads its own package.json from runtime/cli and from lib/runtime/cli', () => {
    for (const from of [path.join(ROOT, 'runtime/cli'), path.join(ROOT, 'lib/runtime/cli')]) {
      const pkg = ownPackage(from);
      expect(pkg.version).toBe(OWN.version);
      expect(pinnedVersions(pkg).constructs).toBe(OWN.devDependencies.constructs);
    }
  });
});

/**
 * The scaffold against this repository's sources: generated under .portcullis/ (gitignored, inside
 * the repo so cdk8s and constructs resolve from its node_modules), with `portcullis` mapped to
 * constructs/index.ts by a tsconfig `paths` entry that tsx and tsc both follow.
 */
describe('the scaffolded policies against this repository', () => {
  const TSX = path.join(ROOT, 'node_modules/tsx/dist/cli.mjs');
  const env = { ...process.env, TSX_TSCONFIG_PATH: 'tsconfig.paths.json', PORTCULLIS_SYNTH_NOW: '2026-06-01T00:00:00Z' };

  async function scaffold(flags: string[]): Promise<string> {
    const dir = path.join(tempDir(path.join(ROOT, '.portcullis')), 'repo');
    const r = await init([dir, ...flags]);
    expect(r.code, r.stderr).toBe(0);
    const paths = {
      portcullis: [path.join(ROOT, 'constructs/index.ts')],
      'portcullis/bundle': [path.join(ROOT, 'runtime/bundle/index.ts')],
      'portcullis/engine': [path.join(ROOT, 'runtime/engine/index.ts')],
    };
    writeFileSync(path.join(dir, 'tsconfig.paths.json'), JSON.stringify({ extends: './tsconfig.json', compilerOptions: { paths }, include: ['policies/**/*.ts'] }));
    return dir;
  }

  /** `portcullis synth` as `npm run synth` runs it (staging, then dist/), with tsx from this repo. */
  function synth(dir: string) {
    return spawnSync(process.execPath, [path.join(ROOT, 'bin/portcullis'), 'synth', '--app', `"${process.execPath}" "${TSX}" policies/main.ts`], {
      cwd: dir,
      env,
      encoding: 'utf8',
    });
  }

  function snapshot(dir: string): Record<string, string> {
    return Object.fromEntries(listFiles(dir).map((f) => [f, readFileSync(path.join(dir, f), 'base64')]));
  }

  it('typechecks (strict), synthesizes dist/, and passes its fixtures; a placeholder put back is refused naming its line, dist/ unchanged', async () => {
    const keys = keyFiles(tempDir());
    const dir = await scaffold([
      ...['--name', 'acme', '--registry', 'registry.acme.example', '--public-key', keys.pub],
      ...['--runtime-image', 'registry.acme.example/platform/portcullis:0.2.0', '--exemption-help', 'https://github.com/acme/policies/issues/new'],
    ]);
    const tsc = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.paths.json'], { cwd: dir, encoding: 'utf8' });
    expect(tsc.status, `${tsc.stdout}${tsc.stderr}`).toBe(0);

    const ok = synth(dir);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/published \d+ files to dist\//);
    const dist = path.join(dir, 'dist');
    const bundle = JSON.parse(readFileSync(path.join(dist, 'portcullis-bundle.json'), 'utf8'));
    expect(bundle.metadata).toEqual({ name: 'acme', runtimeNamespace: 'portcullis-system' });
    expect(bundle.policies.map((p: { name: string; mode: string }) => `${p.name}:${p.mode}`)).toEqual([
      'resource-defaults:Enforce',
      'images:Audit',
      'provenance:Audit',
      'resource-limits:Audit',
      'pod-security:Audit',
    ]);
    expect(readdirSync(dist)).toEqual(expect.arrayContaining(['40-webhooks.k8s.yaml', '30-runtime.k8s.yaml']));

    const fixtures = spawnSync(process.execPath, [path.join(ROOT, 'bin/portcullis'), 'test', '--policies', 'policies/fixtures'], { cwd: dir, env, encoding: 'utf8' });
    expect(fixtures.status, `${fixtures.stdout}${fixtures.stderr}`).toBe(0);
    expect(fixtures.stdout).toMatch(/expectation\(s\): (\d+) passed, 0 failed/);

    // put the registry placeholder back: refused, naming policies/config.ts and the line
    const before = snapshot(dist);
    const configFile = path.join(dir, 'policies/config.ts');
    writeFileSync(
      configFile,
      read(dir, 'policies/config.ts')
        .replace("registry: 'registry.acme.example',", "registry: placeholder('your registry host, e.g. registry.acme.example'),")
        .replace("// import { placeholder } from 'portcullis'; // for values still to be filled in", "import { placeholder } from 'portcullis';"),
    );
    const line = placeholderLine(dir, 'registry');
    const refused = synth(dir);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(
      `[config/registry] (policies/config.ts:${line}) registry is still a placeholder (your registry host, e.g. registry.acme.example). Fix: replace placeholder(…) at policies/config.ts:${line} with your value.`,
    );
    expect(refused.stderr.split('\n')[1]).toMatch(/^ {2}\[config\/registry\] /); // listed first
    expect(refused.stderr).not.toMatch(/\n\s+at /);
    expect(refused.stderr).toContain('dist/ was left unchanged.');
    expect(snapshot(dist)).toEqual(before);
  }, 120_000);

  it('refuses every value init was not given, each with its own policies/config.ts line', async () => {
    const dir = await scaffold(['--registry', 'registry.acme.example']);
    const r = synth(dir);
    expect(r.status).toBe(1);
    // only the placeholders: the images policy waits for its values (isFilled), so nothing else complains
    expect(r.stderr).toContain('Portcullis synth failed with 3 problem(s):');
    for (const [setting, p] of [['runtimeImage', 'runtimeImage'], ['exemptionHelp', 'exemptionHelp'], ['pem', 'signing.publicKey.pem']]) {
      expect(r.stderr).toContain(`[config/${p}] (policies/config.ts:${placeholderLine(dir, setting)}) ${p} is still a placeholder`);
    }
    expect(existsSync(path.join(dir, 'dist'))).toBe(false);
  }, 60_000);
});
