/** The README of a repository scaffolded by `portcullis init`. */
import type { InitValues } from './values';

export function readmeMd(v: InitValues, placeholders: readonly string[]): string {
  const todo =
    placeholders.length === 0
      ? 'Every value was given to `portcullis init`; nothing is left to fill in.'
      : `Still to fill in (synth refuses each placeholder of policies/config.ts, naming its line):\n\n${placeholders.map((p) => `- ${p}`).join('\n')}`;
  return `# ${v.name} admission policies

Kubernetes admission policy for ${v.name} as typed, reviewable code, with
[Portcullis](https://www.npmjs.com/package/portcullis) ${v.portcullisVersion}. The policies in
\`policies/\` are cdk8s constructs; \`npm run synth\` writes the webhook runtime, the webhook
configurations and the compiled rule bundle into \`dist/\` (committed); Argo CD syncs \`dist/\`.

Starting set (all validating policies in **Audit**: violations are admitted with a warning and an
audit annotation):

| policy | file | what |
|--------|------|------|
| \`images\` | \`policies/images.ts\` | images only from your registry, each with your Cosign signature (key or keyless) |
| \`resource-defaults\` | \`policies/resources.ts\` | requests/limits filled into Pods' containers that declare none |
| \`resource-limits\` | \`policies/resources.ts\` | every container has cpu and memory limits |
| \`pod-security\` | \`policies/pod-security.ts\` | the restricted Pod Security Standard |

## Setup

\`\`\`sh
npm install
npm run synth     # writes dist/; refuses placeholders, naming policies/config.ts:<line>
npm test          # typecheck + the fixtures in policies/fixtures
\`\`\`

Everything specific to your team is in **\`policies/config.ts\`**. A value written as
\`placeholder('…')\` was not given to \`portcullis init\`: replace the whole call with your value.
${todo}

When you change the registry, change the example images in
\`policies/fixtures/resources/workloads.yaml\` with it.

The runtime image (\`runtimeImage\`) is built from the Portcullis repository's \`Dockerfile\`
(\`docker build -t <your registry>/platform/portcullis:${v.portcullisVersion} .\`) and pushed to your
registry; the cluster pulls it from there.

## Day to day

| command | what |
|---------|------|
| \`npm run synth\` | synthesize \`dist/\` (a refused synth leaves \`dist/\` byte-identical) |
| \`npm test\` | typecheck, then evaluate the fixtures offline with the runtime's own engine |
| \`npm run scan -- <files or ->\` | what the policies would block in existing workloads (every policy as Enforce) |
| \`npm run diff\` | what your uncommitted \`dist/\` changes in enforcement, compared with \`HEAD\` |
| \`npx portcullis serve --dev --bundle dist/portcullis-bundle.json\` | serve the bundle locally over HTTPS |

A fixture (\`kind: PolicyTest\`) lists workloads and the result expected per policy and rule
(\`pass\`, \`warn\`, \`fail\`, \`exempt\`, …); add one for every policy change. Fixtures contact no
registry: a fixture's \`signatures\` declares what the registry would answer for an image (its digest,
the attestors a signature verifies under, or unsigned); an image it does not declare is \`skip\`.
Real signatures are checked at admission, and by \`npx portcullis scan --verify-images\`.

## Audit → scan → Enforce

1. New policies start in **Audit**: the API server admits, the developer sees a warning, the audit
   log records the finding. Nothing breaks.
2. **Scan** what is running:
   \`kubectl get ns,pods,deploy,sts,ds,jobs,cronjobs -A -o yaml | npm run scan -- -\`
   lists, per policy and namespace, what Enforce would block (\`-o policyreport\` for PolicyReports).
   Fix the workloads, or grant a narrow **exemption** (one policy, named controls, an owner, a reason
   and an expiry; see \`policies/pod-security.ts\`).
3. **Enforce**: when the scan is clean, flip ONE mode in \`policies/config.ts\` to \`'Enforce'\`,
   \`npm run synth\`, update the fixture's expectations (\`warn\` becomes \`fail\`), open a pull
   request. CI comments what changes; after merge Argo CD syncs it. Roll back by flipping it back.
   With \`images\` in Enforce, tags are also pinned to the verified digest on Pods.

## Where the checks run

\`enforcement\` in \`policies/config.ts\` is \`'${v.enforcement}'\`. With \`'hybrid'\` (Kubernetes 1.30+), every
validation that CEL expresses exactly — Pod Security, registries, and the like — runs in the API server
as a ValidatingAdmissionPolicy (\`dist/45-native-policies.k8s.yaml\`): it holds even when the
Portcullis webhook is slow or down. Signature and attestation checks, the resource defaults, and rules
an expiring exemption touches (in that exemption's namespaces) stay on the webhook; \`npm run synth\`
decides per rule and \`portcullis diff\` shows every move. Use \`'webhook'\` on clusters before 1.30.
Verdicts and messages are the same either way.

Resource defaults and digest pinning mutate **Pods** only: Deployments and other controllers stay as
they are in Git (no Argo CD drift), and their Pods receive the defaults when they are created.

## CI (\`.github/workflows/policies.yml\`)

On every push and pull request: \`npm ci\`; \`npx portcullis synth --output <tmp>\` and
\`diff -r <tmp> dist\` (fails when \`dist/\` was not re-synthesized and committed); \`npm test\`. On a
pull request, \`npx portcullis diff origin/<base> HEAD -o markdown\` is posted as a comment (and to
the job summary): which policies and rules get stricter or looser, exemptions added or expiring.

## Deploy (\`argocd/application.yaml\`)

Prerequisites: cert-manager in the cluster, the runtime image in your registry. Apply
\`argocd/application.yaml\`; Argo CD syncs \`dist/*.k8s.yaml\` in sync waves (namespace, TLS, runtime,
then the webhook configurations last) into \`${v.namespace}\`.

## Updating Portcullis

\`npm install portcullis@<version>\`, then \`npm run synth\` and \`npm test\`; the pull request's
enforcement diff shows what the new version changes in \`dist/\`.
`;
}
