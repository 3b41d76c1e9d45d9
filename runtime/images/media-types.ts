/** OCI / Docker / Cosign / Sigstore media types the image subsystem reads. */
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const OCI_EMPTY = 'application/vnd.oci.empty.v1+json';

/** Every manifest type we accept, in the `Accept` header of manifest HEAD/GET. */
export const MANIFEST_ACCEPT = [OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST].join(', ');

/** The legacy Cosign signature layer. */
export const COSIGN_SIMPLESIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const ANNOTATION_SIGNATURE = 'dev.cosignproject.cosign/signature';
export const ANNOTATION_CERTIFICATE = 'dev.sigstore.cosign/certificate';
export const ANNOTATION_CHAIN = 'dev.sigstore.cosign/chain';
export const ANNOTATION_BUNDLE = 'dev.sigstore.cosign/bundle';

/** The Sigstore bundle stored as an OCI 1.1 referrer (cosign `--new-bundle-format`). */
export const SIGSTORE_BUNDLE_V03 = 'application/vnd.dev.sigstore.bundle.v0.3+json';

/** A legacy Cosign attestation layer (`sha256-<hex>.att`): a DSSE envelope holding an in-toto statement. */
export const DSSE_ENVELOPE = 'application/vnd.dsse.envelope.v1+json';
/** The predicate type cosign records on a legacy attestation layer (a hint: the statement decides). */
export const ANNOTATION_PREDICATE_TYPE = 'predicateType';
