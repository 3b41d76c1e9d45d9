/**
 * `portcullis serve`: run the admission webhook server (what the synthesized Deployment runs).
 *
 *   portcullis serve --bundle <file> --tls-cert <file> --tls-key <file> [--port 8443] [--host 0.0.0.0]
 *                    [--dev] [--dev-certs-dir .dev-certs] [--log-level info]
 *                    [--shutdown-delay-ms 2000] [--grace-ms 25000] [--docker-config <file>]
 *                    [--body-budget-mib 24]
 *
 * Environment (flags win): PORTCULLIS_BUNDLE, PORTCULLIS_TLS_CERT, PORTCULLIS_TLS_KEY,
 * PORTCULLIS_PORT, PORTCULLIS_HOST, PORTCULLIS_BUNDLE_HASH (the hash the Deployment expects; any
 * other bundle is refused), PORTCULLIS_LOG_LEVEL, PORTCULLIS_SHUTDOWN_DELAY_MS, PORTCULLIS_GRACE_MS,
 * PORTCULLIS_DOCKER_CONFIG (registry credentials for signature checks: a mounted docker config),
 * PORTCULLIS_BODY_BUDGET_MIB (MiB of request bodies above 1 MiB held at once, see
 * runtime/server/body-budget.ts: the synthesized Deployment sets it from its memory limit).
 *
 * `--dev` without certificates generates a CA and a localhost serving certificate into
 * `.dev-certs/` (gitignored) and prints how to call the server with curl.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from './main';
import { createImageVerifier } from '../images';
import { DEFAULT_BODY_BUDGET } from '../server/body-budget';
import { PortcullisServer, type ServerOptions } from '../server/server';

const MIB = 1024 * 1024;

export interface ServeConfig {
  bundle: string;
  tlsCert: string;
  tlsKey: string;
  port: number;
  host: string;
  dev: boolean;
  devCertsDir: string;
  expectedHash?: string;
  logLevel: string;
  shutdownDelayMs: number;
  graceMs: number;
  dockerConfig?: string;
  /** MiB of large request bodies (> 1 MiB each) held at once. */
  bodyBudgetMib: number;
}

const USAGE = `usage: portcullis serve --bundle <file> (--tls-cert <file> --tls-key <file> | --dev) [options]

  Runs the admission webhook server (HTTPS) for a rule bundle, as the synthesized Deployment does.

  --bundle FILE             rule bundle (env PORTCULLIS_BUNDLE)
  --tls-cert FILE           serving certificate, PEM (env PORTCULLIS_TLS_CERT)
  --tls-key FILE            its private key, PEM (env PORTCULLIS_TLS_KEY)
  --dev                     without --tls-cert/--tls-key: generate a local CA and a localhost certificate
                            in --dev-certs-dir (default .dev-certs), listen on 127.0.0.1, print curl examples
  --port N                  default 8443 (env PORTCULLIS_PORT)
  --host ADDR               default 0.0.0.0, 127.0.0.1 with --dev (env PORTCULLIS_HOST)
  --log-level LEVEL         pino level, default info (env PORTCULLIS_LOG_LEVEL)
  --shutdown-delay-ms N     on SIGTERM, report not ready but keep serving this long (default 2000, 0 with --dev)
  --grace-ms N              then wait this long for in-flight reviews (default 25000)
  --docker-config FILE      registry credentials for signature checks (env PORTCULLIS_DOCKER_CONFIG)
  --body-budget-mib N       MiB of request bodies above 1 MiB held at once (default ${DEFAULT_BODY_BUDGET.capacityBytes / MIB})
  -h, --help                print this help

  Flags win over the environment. PORTCULLIS_BUNDLE_HASH=sha256:<hex> refuses any other bundle.

exit status: 0 = stopped cleanly on SIGTERM/SIGINT (or --help), 1 = shutdown was not clean,
             2 = usage error or the server could not start
`;

const FLAGS: Record<string, keyof ServeConfig> = {
  '--bundle': 'bundle',
  '--tls-cert': 'tlsCert',
  '--tls-key': 'tlsKey',
  '--port': 'port',
  '--host': 'host',
  '--dev-certs-dir': 'devCertsDir',
  '--log-level': 'logLevel',
  '--shutdown-delay-ms': 'shutdownDelayMs',
  '--grace-ms': 'graceMs',
  '--docker-config': 'dockerConfig',
  '--body-budget-mib': 'bodyBudgetMib',
};

const ENV: Partial<Record<keyof ServeConfig, string>> = {
  bundle: 'PORTCULLIS_BUNDLE',
  tlsCert: 'PORTCULLIS_TLS_CERT',
  tlsKey: 'PORTCULLIS_TLS_KEY',
  port: 'PORTCULLIS_PORT',
  host: 'PORTCULLIS_HOST',
  expectedHash: 'PORTCULLIS_BUNDLE_HASH',
  logLevel: 'PORTCULLIS_LOG_LEVEL',
  shutdownDelayMs: 'PORTCULLIS_SHUTDOWN_DELAY_MS',
  graceMs: 'PORTCULLIS_GRACE_MS',
  dockerConfig: 'PORTCULLIS_DOCKER_CONFIG',
  bodyBudgetMib: 'PORTCULLIS_BODY_BUDGET_MIB',
};

function integer(name: string, text: string, min: number, max: number): number | string {
  if (!/^\d+$/.test(text)) return `${name} must be an integer, got "${text}"`;
  const n = Number(text);
  return n < min || n > max ? `${name} must be between ${min} and ${max}, got ${n}` : n;
}

/** Pure: flags + environment → configuration, or a message saying what is wrong. */
export function parseServeArgs(argv: readonly string[], env: NodeJS.ProcessEnv): ServeConfig | { error: string } | { help: string } {
  const raw: Partial<Record<keyof ServeConfig, string>> = {};
  for (const [key, name] of Object.entries(ENV) as [keyof ServeConfig, string][]) {
    const v = env[name];
    if (v !== undefined && v !== '') raw[key] = v;
  }
  let dev = false;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? '';
    if (arg === '--dev') {
      dev = true;
      continue;
    }
    if (arg === '--help' || arg === '-h') return { help: USAGE };
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    const key = FLAGS[flag];
    if (key === undefined) return { error: `unknown option "${arg}"\n${USAGE.trimEnd()}` };
    const value = eq === -1 ? argv[(i += 1)] : arg.slice(eq + 1);
    if (value === undefined || value === '') return { error: `${flag} needs a value\n${USAGE.trimEnd()}` };
    raw[key] = value;
  }
  const devCertsDir = raw.devCertsDir ?? '.dev-certs';
  if (raw.bundle === undefined) return { error: `--bundle (or PORTCULLIS_BUNDLE) is required\n${USAGE.trimEnd()}` };
  if ((raw.tlsCert === undefined) !== (raw.tlsKey === undefined)) return { error: '--tls-cert and --tls-key go together' };
  if (raw.tlsCert === undefined && !dev) return { error: `--tls-cert and --tls-key are required (or --dev to generate them)\n${USAGE.trimEnd()}` };
  const port = integer('--port', raw.port ?? '8443', 0, 65535);
  const shutdownDelayMs = integer('--shutdown-delay-ms', raw.shutdownDelayMs ?? (dev ? '0' : '2000'), 0, 600_000);
  const graceMs = integer('--grace-ms', raw.graceMs ?? '25000', 0, 600_000);
  const bodyBudgetMib = integer('--body-budget-mib', raw.bodyBudgetMib ?? String(DEFAULT_BODY_BUDGET.capacityBytes / MIB), 1, 4096);
  for (const n of [port, shutdownDelayMs, graceMs, bodyBudgetMib]) if (typeof n === 'string') return { error: n };
  if (raw.expectedHash !== undefined && !/^sha256:[0-9a-f]{64}$/.test(raw.expectedHash)) {
    return { error: `PORTCULLIS_BUNDLE_HASH must look like sha256:<64 hex digits>, got "${raw.expectedHash}"` };
  }
  const config: ServeConfig = {
    bundle: raw.bundle,
    tlsCert: raw.tlsCert ?? resolve(devCertsDir, 'tls.crt'),
    tlsKey: raw.tlsKey ?? resolve(devCertsDir, 'tls.key'),
    port: port as number,
    host: raw.host ?? (dev ? '127.0.0.1' : '0.0.0.0'),
    dev,
    devCertsDir,
    logLevel: raw.logLevel ?? 'info',
    shutdownDelayMs: shutdownDelayMs as number,
    graceMs: graceMs as number,
    bodyBudgetMib: bodyBudgetMib as number,
  };
  if (raw.expectedHash !== undefined) config.expectedHash = raw.expectedHash;
  if (raw.dockerConfig !== undefined) config.dockerConfig = raw.dockerConfig;
  return config;
}

/** Pure: the server's options for a serve configuration. */
export function serverOptions(config: ServeConfig): ServerOptions {
  return {
    bundlePath: config.bundle,
    tlsCertPath: config.tlsCert,
    tlsKeyPath: config.tlsKey,
    ...(config.expectedHash === undefined ? {} : { expectedBundleHash: config.expectedHash }),
    logger: { level: config.logLevel },
    bodyBudget: { capacityBytes: config.bodyBudgetMib * MIB },
    // Built per loaded bundle with verifyImages rules: its trusted roots travel in the bundle.
    imageVerifierFor: (bundle, metrics) =>
      createImageVerifier({
        trustedRoots: bundle.trust.trustedRoots,
        metrics,
        ...(config.dockerConfig === undefined ? {} : { dockerConfigPath: config.dockerConfig }),
      }),
  };
}

function devBanner(config: ServeConfig, port: number, caCert: string, server: PortcullisServer): string {
  const bindings = [...(server.store.current()?.bindings.values() ?? [])];
  const paths = bindings.map((b) => b.webhook.path);
  // The validating entry that serves the most policies makes the most telling example.
  const path = bindings.filter((b) => b.webhook.type === 'validating').sort((a, b) => b.policies.length - a.policies.length)[0]?.webhook.path ?? '/validate/<group>';
  const base = `https://localhost:${port}`;
  return [
    '',
    `portcullis (dev) serving ${config.bundle} on ${base}`,
    `  CA certificate:      ${caCert}`,
    `  serving certificate: ${config.tlsCert}`,
    `  webhook paths:       ${paths.join(', ') || '(none: no valid bundle loaded)'}`,
    '  try it:',
    `    curl --cacert ${caCert} ${base}/readyz`,
    `    curl --cacert ${caCert} -H 'Content-Type: application/json' --data @examples/admission/pod-create-privileged.json ${base}${path}`,
    '    scripts/try-admission.sh      # allow, deny and a patch, explained',
    '',
  ].join('\n');
}

export async function runServe(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const parsed = parseServeArgs(argv, env);
  if ('help' in parsed) {
    process.stdout.write(parsed.help);
    return 0;
  }
  if ('error' in parsed) {
    process.stderr.write(`portcullis serve: ${parsed.error}\n`);
    return 2;
  }
  const config = parsed;
  if (!existsSync(config.bundle)) {
    process.stderr.write(`portcullis serve: bundle file ${config.bundle} does not exist${config.dev ? ' (run `npm run synth` first)' : ''}\n`);
    return 2;
  }
  let caCert = '';
  if (config.dev && env.PORTCULLIS_TLS_CERT === undefined && !argv.some((a) => a.startsWith('--tls-cert'))) {
    // Loaded only in dev mode: production never issues certificates (cert-manager does).
    const { ensureDevCertificates } = await import('../server/dev-certs');
    const certs = ensureDevCertificates(resolve(config.devCertsDir));
    caCert = certs.caCert;
    process.stderr.write(`portcullis serve: ${certs.created ? 'generated' : 'reusing'} development certificates in ${certs.dir}\n`);
  }
  let server: PortcullisServer;
  try {
    server = new PortcullisServer(serverOptions(config));
  } catch (err) {
    process.stderr.write(`portcullis serve: ${(err as Error).message}\n`);
    return 2;
  }
  const address = await server.listen(config.port, config.host);
  if (config.dev) {
    process.stderr.write(devBanner(config, address.port, caCert || '<your CA certificate>', server));
  }
  return new Promise<number>((done) => {
    const stop = (signal: NodeJS.Signals): void => {
      server.app.log.info({ signal }, 'signal received');
      server.shutdown({ drainDelayMs: config.shutdownDelayMs, graceMs: config.graceMs }).then(
        (clean) => done(clean ? 0 : 1),
        () => done(1),
      );
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}

export const command: Command = {
  summary: 'run the admission webhook server (HTTPS) for a rule bundle',
  run: async (argv) => {
    const code = await runServe(argv);
    // Exit even if a library left a handle open: shutdown has already drained the listener.
    setTimeout(() => process.exit(code), 500).unref();
    return code;
  },
};
