/** Labels shared by every object Portcullis synthesizes. */
export const APP_LABELS: Readonly<Record<string, string>> = {
  'app.kubernetes.io/name': 'portcullis',
  'app.kubernetes.io/part-of': 'portcullis',
  'app.kubernetes.io/managed-by': 'cdk8s',
};

/** The labels that select the runtime's pods (Service, PDB, topology spread). */
export const RUNTIME_SELECTOR: Readonly<Record<string, string>> = {
  'app.kubernetes.io/component': 'webhook',
  'app.kubernetes.io/name': 'portcullis',
};

export const BUNDLE_HASH_ANNOTATION = 'portcullis.dev/bundle-hash';
