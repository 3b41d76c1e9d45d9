/**
 * What the API server's ValidatingAdmissionPolicies (dist/45-native-policies.k8s.yaml, enforcement
 * hybrid) decide for an AdmissionReview file, evaluated with the test harness's CEL implementation
 * (test/native/cel-harness.ts; a development aid, not part of the runtime). Namespace labels come
 * from examples/workloads/namespaces.yaml (the API server reads them from the namespace itself).
 *
 *   npx tsx scripts/native-decision.ts examples/admission/pod-create-privileged.json
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { NativeRequest } from '../test/native/cel-harness';
import { nativeFailures } from '../test/native/dist-policies';

type Namespace = { metadata: { name: string; labels?: Record<string, string> } };

const [reviewFile, distDir = 'dist'] = process.argv.slice(2);
if (reviewFile === undefined) {
  process.stderr.write('usage: npx tsx scripts/native-decision.ts <admission-review.json> [dist]\n');
  process.exit(2);
}
const review = (JSON.parse(readFileSync(reviewFile, 'utf8')) as { request: Omit<NativeRequest, 'operation'> & { operation: string } }).request;
const namespaces = existsSync('examples/workloads/namespaces.yaml') ? parseAllDocuments(readFileSync('examples/workloads/namespaces.yaml', 'utf8')).map((d) => d.toJS() as Namespace) : [];
const labels = new Map(namespaces.map((n) => [n.metadata.name, n.metadata.labels ?? {}]));
const operation = review.operation;
if (operation !== 'CREATE' && operation !== 'UPDATE') {
  process.stdout.write(`   ValidatingAdmissionPolicies: ${operation} is not matched\n`);
  process.exit(0);
}
const failures = nativeFailures(distDir, { ...review, operation, namespaceLabels: labels.get(review.namespace) ?? {} });
for (const f of failures) process.stdout.write(`   ValidatingAdmissionPolicy ${f.policy} (${f.validationActions.join(', ')}): ${f.message}\n`);
if (failures.length === 0) process.stdout.write('   ValidatingAdmissionPolicies: no violation\n');
