/**
 * The project files `portcullis init` writes around `policies/`: package.json, cdk8s.yaml,
 * tsconfig.json, .gitignore, the CI workflow and the Argo CD Application.
 */
import { HINTS, yamlString, type InitValues, type PINNED_PACKAGES } from './values';

export function packageJson(v: InitValues): string {
  const pin = (names: ReadonlyArray<(typeof PINNED_PACKAGES)[number]>): Record<string, string> =>
    Object.fromEntries(names.map((n) => [n, v.versions[n]]));
  const pkg = {
    name: `${v.name}-policies`,
    version: '0.1.0',
    private: true,
    description: `Kubernetes admission policies for ${v.name} (Portcullis): synthesized into dist/, synced by Argo CD.`,
    scripts: {
      synth: 'portcullis synth',
      test: 'tsc --noEmit && portcullis test --policies policies/fixtures',
      scan: 'portcullis scan',
      diff: 'portcullis diff HEAD dist/portcullis-bundle.json',
    },
    engines: { node: v.nodeEngines },
    dependencies: { portcullis: v.portcullisSpec, ...pin(['cdk8s', 'constructs']) },
    devDependencies: pin(['@types/node', 'cdk8s-cli', 'tsx', 'typescript']),
  };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

export function cdk8sYaml(): string {
  return `# \`cdk8s synth\` empties its output folder before it runs the app, even when the app then fails.
# So it writes to a gitignored staging folder, and the app replaces dist/ (what Argo CD syncs) only
# after a successful synth. \`npm run synth\` (portcullis synth) does the same without the cdk8s CLI.
language: typescript
app: npx tsx policies/main.ts
output: .portcullis/synth
imports: []
`;
}

export function tsconfigJson(): string {
  const config = {
    compilerOptions: {
      target: 'ES2022',
      module: 'node16',
      moduleResolution: 'node16',
      lib: ['ES2022'],
      types: ['node'],
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      forceConsistentCasingInFileNames: true,
    },
    include: ['policies/**/*.ts'],
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

export function gitignore(): string {
  return `node_modules/
# synth's staging folder (dist/ is committed: Argo CD syncs it)
.portcullis/
# certificates of \`portcullis serve --dev\`
.dev-certs/
*.log
`;
}

/**
 * GitHub Actions: dist/ must be what policies/ synthesizes, the fixtures must pass, and a pull
 * request gets a comment saying what it changes in enforcement (`portcullis diff -o markdown`).
 */
export function workflowYaml(): string {
  // GitHub expressions (${{ … }}) are written with a placeholder to keep them out of template literals.
  const gh = (expr: string): string => `\${{ ${expr} }}`;
  return `# Policy CI: dist/ is fresh, the fixtures pass, and each pull request gets a comment saying what
# it changes in enforcement.
name: policies

on:
  pull_request:
  push:
    branches: [main]

permissions:
  contents: read
  pull-requests: write # the enforcement diff comment

jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0 # portcullis diff reads the base branch's dist/
      - uses: actions/setup-node@v4
        with:
          node-version: 24
          cache: npm
      - run: npm ci

      - name: dist/ is what policies/ synthesizes
        run: |
          out="$(mktemp -d)"
          npx portcullis synth --output "$out"
          if ! diff -r "$out" dist; then
            echo "::error::dist/ is stale: run 'npm run synth' and commit dist/"
            exit 1
          fi

      - name: Typecheck and policy fixtures
        run: npm test

      - name: What this pull request changes in enforcement
        if: github.event_name == 'pull_request'
        env:
          GH_TOKEN: ${gh('github.token')}
          BASE: origin/${gh('github.base_ref')}
          PR: ${gh('github.event.pull_request.number')}
        run: |
          if git cat-file -e "$BASE:dist/portcullis-bundle.json" 2>/dev/null; then
            npx portcullis diff "$BASE" HEAD -o markdown > enforcement-diff.md
          else
            echo "No dist/portcullis-bundle.json on $BASE yet: everything in this pull request is new." > enforcement-diff.md
          fi
          cat enforcement-diff.md >> "$GITHUB_STEP_SUMMARY"
          # Pull requests from forks get a read-only token: the summary above still has the diff.
          gh pr comment "$PR" --edit-last --body-file enforcement-diff.md 2>/dev/null \\
            || gh pr comment "$PR" --body-file enforcement-diff.md \\
            || echo "::warning::could not comment on the pull request (read-only token?)"
`;
}

export function argocdApplicationYaml(v: InitValues): string {
  const repo = v.repoUrl === undefined ? yamlString(`REPLACE-ME: ${HINTS.repoUrl}`) : yamlString(v.repoUrl);
  return `# Argo CD Application: syncs the synthesized manifests in dist/ (kubectl apply -f argocd/application.yaml).
#
# - Sync waves are in the manifests themselves (argocd.argoproj.io/sync-wave): namespace and RBAC (0),
#   cert-manager Issuers/Certificates (1), bundle ConfigMap + runtime Deployment (2), webhook
#   configurations (3). Webhook configurations are applied last and pruned first, so they never point
#   at a runtime that is not there.
# - Prerequisite: cert-manager (it issues the serving certificate and injects the CA bundle).
# - dist/ holds no field a controller rewrites; the ignoreDifferences entries only keep older Argo CD
#   diff strategies from flagging the caBundle cert-manager injects. If you opt in to controller
#   mutation (mutateControllers / pinControllers), add the ignoreDifferences that
#   dist/40-webhooks.k8s.yaml lists.
# - Break-glass: disable automated sync BEFORE patching or deleting the webhook configurations by
#   hand, or Argo CD puts them back.
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: ${v.name}
  namespace: argocd
  finalizers:
    - resources-finalizer.argocd.argoproj.io
spec:
  project: default
  source:
    repoURL: ${repo}
    targetRevision: main
    path: dist
    directory:
      include: '*.k8s.yaml' # portcullis-bundle.json is for tooling; the ConfigMap embeds it
  destination:
    server: https://kubernetes.default.svc
    namespace: ${v.namespace}
  syncPolicy:
    automated:
      prune: true
      selfHeal: true
    syncOptions:
      - ServerSideApply=true
    retry:
      limit: 5
      backoff:
        duration: 10s
        factor: 2
        maxDuration: 3m
  ignoreDifferences:
    - group: admissionregistration.k8s.io
      kind: ValidatingWebhookConfiguration
      jqPathExpressions:
        - .webhooks[]?.clientConfig.caBundle
    - group: admissionregistration.k8s.io
      kind: MutatingWebhookConfiguration
      jqPathExpressions:
        - .webhooks[]?.clientConfig.caBundle
`;
}
