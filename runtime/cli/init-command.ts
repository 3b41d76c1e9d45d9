/**
 * `portcullis init [dir]`: scaffold a policy repository that works on the first try — package.json
 * (this package plus the pinned cdk8s, constructs, cdk8s-cli, TypeScript, tsx), cdk8s.yaml (staged
 * synth), tsconfig.json (strict), policies/ (the team's values in config.ts and a starting set in
 * Audit), a PolicyTest fixture, a README, a GitHub Actions workflow and an Argo CD Application.
 * Values not given become `placeholder('…')` calls in policies/config.ts, which synth refuses with
 * the file and line to fill in.
 */
import { createPublicKey } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { imageGlobScope } from '../engine/image-ref';
import { parseCommandArgs, usageFailure } from './command-args';
import { appTs, configTs, fixtureWorkloadsYaml, fixtureYaml, imagesTs, mainTs, podSecurityTs, resourcesTs } from './init/policies';
import { argocdApplicationYaml, cdk8sYaml, gitignore, packageJson, tsconfigJson, workflowYaml } from './init/project';
import { readmeMd } from './init/readme';
import { PINNED_PACKAGES, SCAFFOLD_ENFORCEMENTS, type InitValues, type ScaffoldEnforcement } from './init/values';
import type { Command } from './main';

const USAGE = `usage: portcullis init [dir] [options]

  Scaffolds a policy repository in dir (default: the current directory): package.json, cdk8s.yaml,
  tsconfig.json, .gitignore, README.md, policies/ (config.ts with your values, a starting set in
  Audit: signed images, resource defaults + limits, restricted Pod Security; a PolicyTest fixture),
  .github/workflows/policies.yml and argocd/application.yaml.
  Values not given become placeholders in policies/config.ts; synth refuses them, naming the line.

  --name NAME                 bundle and Argo CD Application name (default: from dir)
  --registry HOST             your registry host; images allowed and signed: HOST/**
  --public-key FILE           Cosign PEM public key images are signed with (never the private key)
  --keyless-identity SUBJECT  keyless signing identity (certificate subject), with --keyless-issuer
  --keyless-issuer URL        keyless OIDC issuer, e.g. https://token.actions.githubusercontent.com
  --namespace NS              namespace of the runtime (default portcullis-system)
  --runtime-image REF         the Portcullis runtime image your cluster pulls
  --repo-url URL              Git URL of the policy repository (for Argo CD)
  --exemption-help URL        where developers ask for an exemption
  --enforcement MODE          hybrid (default; Kubernetes 1.30+: validations CEL expresses exactly
                              run in the API server, the rest on the webhook) or webhook (every
                              validation on the webhook; clusters before 1.30)
  --portcullis-spec SPEC      npm spec of the portcullis dependency (default ^<this version>;
                              a path to a tarball works too)
  --force                     write into a non-empty directory (overwrites the files above)

exit status: 0 = written, 2 = usage error, refused input or non-empty directory (nothing written)
`;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const HOST = /^(localhost|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)(:[0-9]{1,5})?$/;

interface OwnPackage {
  name: string;
  version: string;
  engines?: { node?: string };
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  dependencies?: Record<string, string>;
}

/**
 * This package's package.json: the first one named "portcullis" above this file (runtime/cli/ in a
 * source checkout, lib/runtime/cli/ when compiled or installed — two and three levels up).
 */
export function ownPackage(from: string = __dirname): OwnPackage {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as Partial<OwnPackage>;
      if (pkg.name === 'portcullis' && typeof pkg.version === 'string') return pkg as OwnPackage;
    }
    if (path.dirname(dir) === dir) throw new Error(`no package.json of portcullis above ${from}`);
  }
}

/** The exact versions the scaffold pins: the ones this package is developed and tested with. */
export function pinnedVersions(pkg: OwnPackage): InitValues['versions'] {
  const out: Partial<Record<(typeof PINNED_PACKAGES)[number], string>> = {};
  for (const name of PINNED_PACKAGES) {
    const v = pkg.devDependencies?.[name] ?? pkg.dependencies?.[name] ?? pkg.peerDependencies?.[name];
    if (v === undefined) throw new Error(`package.json of portcullis names no version of ${name}`);
    out[name] = v;
  }
  return out as InitValues['versions'];
}

/** A DNS label from a directory name ("My Policies" → "my-policies"). */
function nameFrom(dir: string): string {
  const s = path
    .basename(path.resolve(dir))
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return s === '' ? 'portcullis' : s;
}

export class InitInputError extends Error {}

/** The PEM public key in a file, normalized (SPKI); refuses private keys and anything else. */
export function readPublicKey(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InitInputError(`--public-key: cannot read ${file}: ${(err as Error).message}`);
  }
  if (/PRIVATE KEY/.test(text)) {
    throw new InitInputError(
      `--public-key: ${file} holds a PRIVATE key. It must never enter the policy repository (the bundle is published). Fix: pass the public key (cosign public-key --key ${file} > cosign.pub, or the cosign.pub from cosign generate-key-pair), and rotate the key if this file was shared.`,
    );
  }
  const block = /-----BEGIN PUBLIC KEY-----[\s\S]+?-----END PUBLIC KEY-----/.exec(text);
  if (block === null) throw new InitInputError(`--public-key: ${file} holds no PEM public key (-----BEGIN PUBLIC KEY-----). Fix: pass cosign.pub.`);
  try {
    const key = createPublicKey(block[0]);
    const t = key.asymmetricKeyType;
    if (t !== 'ec' && t !== 'rsa' && t !== 'ed25519') throw new InitInputError(`--public-key: ${file}: key type ${String(t)} is not supported (ECDSA, RSA or Ed25519)`);
    return String(key.export({ type: 'spki', format: 'pem' }));
  } catch (err) {
    if (err instanceof InitInputError) throw err;
    throw new InitInputError(`--public-key: ${file} is not a valid PEM public key (${(err as Error).message})`);
  }
}

interface InitOptions {
  dir: string;
  force: boolean;
  values: InitValues;
}

function optional(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

/** Flags → options (throws InitInputError for refused values). */
export function initOptions(
  dir: string,
  flags: Partial<Record<'name' | 'registry' | 'public-key' | 'keyless-identity' | 'keyless-issuer' | 'namespace' | 'runtime-image' | 'repo-url' | 'exemption-help' | 'portcullis-spec' | 'enforcement', string>> & { force?: boolean },
  pkg: OwnPackage = ownPackage(),
): InitOptions {
  const name = optional(flags.name) ?? nameFrom(dir);
  if (!DNS_LABEL.test(name) || name.length > 63) throw new InitInputError(`--name "${name}" is not a DNS label (a-z, 0-9, '-', at most 63). Fix: e.g. --name acme`);
  const namespace = optional(flags.namespace) ?? 'portcullis-system';
  if (!DNS_LABEL.test(namespace) || namespace.length > 63) throw new InitInputError(`--namespace "${namespace}" is not a valid namespace name`);
  const registry = optional(flags.registry);
  if (registry !== undefined && !HOST.test(registry)) {
    throw new InitInputError(`--registry "${registry}" is not a registry host[:port] (no scheme, no path). Fix: e.g. --registry registry.acme.example`);
  }
  // The same rule synth applies to `<registry>/**`: a first segment without '.' or ':' (and not
  // localhost) is a Docker Hub namespace, not a host, and synth would refuse the scaffold.
  if (registry !== undefined && imageGlobScope(`${registry}/**`)?.hostWritten !== true) {
    throw new InitInputError(
      `--registry "${registry}" has no '.' or ':', so image references read it as a Docker Hub namespace (docker.io/${registry}/…), not a host. Fix: the full host, e.g. --registry ${registry}.acme.example or --registry ${registry}:5000`,
    );
  }
  const issuer = optional(flags['keyless-issuer']);
  if (issuer !== undefined && !/^https:\/\/[^\s/]+/.test(issuer)) {
    throw new InitInputError(`--keyless-issuer "${issuer}" is not an https URL. Fix: e.g. --keyless-issuer https://token.actions.githubusercontent.com`);
  }
  const enforcement = optional(flags.enforcement) ?? 'hybrid';
  if (!(SCAFFOLD_ENFORCEMENTS as readonly string[]).includes(enforcement)) {
    throw new InitInputError(
      `--enforcement "${enforcement}" is not one of ${SCAFFOLD_ENFORCEMENTS.join(', ')}${enforcement === 'native' ? " (a whole app in 'native' would refuse the signature checks, which need the webhook; set enforcement: 'native' on single policies instead)" : ''}`,
    );
  }
  const keyFile = optional(flags['public-key']);
  let spec = optional(flags['portcullis-spec']) ?? `^${pkg.version}`;
  if (!spec.startsWith('file:') && (spec.startsWith('.') || spec.startsWith('/')) && existsSync(spec)) spec = `file:${path.resolve(spec)}`;
  const values: InitValues = {
    name,
    namespace,
    ...(registry !== undefined ? { registry } : {}),
    ...(keyFile !== undefined ? { publicKeyPem: readPublicKey(keyFile) } : {}),
    ...(optional(flags['keyless-identity']) !== undefined ? { keylessIdentity: optional(flags['keyless-identity']) } : {}),
    ...(issuer !== undefined ? { keylessIssuer: issuer } : {}),
    ...(optional(flags['runtime-image']) !== undefined ? { runtimeImage: optional(flags['runtime-image']) } : {}),
    ...(optional(flags['repo-url']) !== undefined ? { repoUrl: optional(flags['repo-url']) } : {}),
    ...(optional(flags['exemption-help']) !== undefined ? { exemptionHelp: optional(flags['exemption-help']) } : {}),
    enforcement: enforcement as ScaffoldEnforcement,
    portcullisSpec: spec,
    portcullisVersion: pkg.version,
    versions: pinnedVersions(pkg),
    nodeEngines: pkg.engines?.node ?? '>=20.19.0',
  };
  return { dir, force: flags.force === true, values };
}

/**
 * `file:line  setting: hint` for every value left to fill in: the `placeholder('…')` calls of
 * policies/config.ts and the REPLACE-ME values of argocd/application.yaml.
 */
export function placeholderList(files: ReadonlyArray<{ path: string; content: string }>): string[] {
  const out: string[] = [];
  for (const f of files) {
    const pattern = f.path.endsWith('.ts') ? /(\w+): placeholder\('((?:[^'\\]|\\.)*)'\)/ : f.path.endsWith('.yaml') && !f.path.includes('fixtures') ? /(\w+): "REPLACE-ME: ([^"]*)"/ : undefined;
    if (pattern === undefined) continue;
    f.content.split('\n').forEach((line, i) => {
      const m = pattern.exec(line);
      if (m !== null) out.push(`${f.path}:${i + 1}  ${m[1]}: ${m[2].replace(/\\'/g, "'")}`);
    });
  }
  return out;
}

/** The files of the scaffold, by path relative to the target directory. */
export function scaffoldFiles(values: InitValues): Array<{ path: string; content: string }> {
  const files = [
    { path: 'package.json', content: packageJson(values) },
    { path: 'cdk8s.yaml', content: cdk8sYaml() },
    { path: 'tsconfig.json', content: tsconfigJson() },
    { path: '.gitignore', content: gitignore() },
    { path: 'README.md', content: '' },
    { path: 'policies/main.ts', content: mainTs() },
    { path: 'policies/app.ts', content: appTs() },
    { path: 'policies/config.ts', content: configTs(values) },
    { path: 'policies/images.ts', content: imagesTs() },
    { path: 'policies/resources.ts', content: resourcesTs() },
    { path: 'policies/pod-security.ts', content: podSecurityTs() },
    { path: 'policies/fixtures/starting-set.yaml', content: fixtureYaml(values) },
    { path: 'policies/fixtures/resources/workloads.yaml', content: fixtureWorkloadsYaml(values) },
    { path: '.github/workflows/policies.yml', content: workflowYaml() },
    { path: 'argocd/application.yaml', content: argocdApplicationYaml(values) },
  ];
  const todo = placeholderList(files).map((l) => l.replace(/^(\S+)\s+(.*)$/, '`$1`: $2'));
  files[4].content = readmeMd(values, todo);
  return files;
}

/** Write the scaffold; returns the exit status (messages on stdout/stderr). */
export function runInit(o: InitOptions): number {
  const dir = path.resolve(o.dir);
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) return usageFailure('init', `${o.dir} exists and is not a directory`);
    const entries = readdirSync(dir);
    if (entries.length > 0 && !o.force) {
      return usageFailure(
        'init',
        `${o.dir} is not empty (${entries.slice(0, 5).join(', ')}${entries.length > 5 ? ', …' : ''}); nothing was written. Fix: choose an empty or new directory, or pass --force to write the scaffold's files into it (overwriting files of the same name).`,
      );
    }
  }
  const files = scaffoldFiles(o.values);
  for (const f of files) {
    const target = path.join(dir, f.path);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, f.content);
  }
  const relative = path.relative(process.cwd(), dir);
  const rel = relative === '' ? '.' : relative.startsWith('..') ? dir : relative;
  const todo = placeholderList(files);
  const fixtureNote = o.values.registry === undefined ? ['  policies/fixtures/resources/workloads.yaml  example images use registry.example.com: use your registry'] : [];
  const lines = [
    `portcullis init: wrote ${files.length} files to ${rel}/`,
    ...files.map((f) => `  ${f.path}`),
    '',
    todo.length === 0 ? 'Every value was given: no placeholders to fill in.' : 'Fill in these placeholders (synth refuses them until then, naming the line):',
    ...todo.map((t) => `  ${t}`),
    ...fixtureNote,
    '',
    'Next steps:',
    ...(rel === '.' ? [] : [`  cd ${rel}`]),
    '  npm install',
    ...(todo.length === 0 ? [] : ['  (fill in the placeholders above)']),
    '  npm run synth     # writes dist/ (commit it: Argo CD syncs it)',
    '  npm test          # typecheck + policy fixtures',
    '  git init && git add -A && git commit -m "Admission policies (Audit)"',
    '',
  ];
  process.stdout.write(lines.join('\n'));
  return 0;
}

function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs('init', USAGE, argv, {
    name: { type: 'string' },
    registry: { type: 'string' },
    'public-key': { type: 'string' },
    'keyless-identity': { type: 'string' },
    'keyless-issuer': { type: 'string' },
    namespace: { type: 'string' },
    'runtime-image': { type: 'string' },
    'repo-url': { type: 'string' },
    'exemption-help': { type: 'string' },
    enforcement: { type: 'string' },
    'portcullis-spec': { type: 'string' },
    force: { type: 'boolean', default: false },
  });
  if (typeof parsed === 'number') return Promise.resolve(parsed);
  if (parsed.positionals.length > 1) return Promise.resolve(usageFailure('init', `one directory at most, got ${parsed.positionals.join(' ')}`));
  let options: InitOptions;
  try {
    options = initOptions(parsed.positionals[0] ?? '.', parsed.values);
  } catch (err) {
    if (err instanceof InitInputError) return Promise.resolve(usageFailure('init', err.message));
    throw err;
  }
  return Promise.resolve(runInit(options));
}

export const command: Command = { summary: 'scaffold a policy repository (package.json, policies/, fixtures, CI, Argo CD)', run };
