/**
 * What a signature says it covers: Cosign's simple-signing payload
 * (`critical.image.docker-manifest-digest`) and in-toto statements (`subject[].digest.sha256`)
 * inside DSSE envelopes of Sigstore bundles. A signature only counts for the digest it names, so a
 * signature copied from another image fails here.
 */
import { digestHex } from './digest';

export const SIMPLE_SIGNING_TYPE = 'cosign container image signature';
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
/** Predicate type of cosign's new-bundle-format image signature (`cosign sign --new-bundle-format`). */
export const COSIGN_SIGN_PREDICATE = 'https://sigstore.dev/cosign/sign/v1';

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Returns undefined when the payload covers `digest`, else why not. */
export function checkSimpleSigningPayload(payload: Buffer, digest: string): string | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(payload.toString('utf8'));
  } catch {
    return 'signature payload is not JSON';
  }
  const critical = isRecord(doc) ? doc.critical : undefined;
  if (!isRecord(critical)) return 'signature payload has no "critical" section';
  if (critical.type !== SIMPLE_SIGNING_TYPE) return `signature payload type is ${JSON.stringify(critical.type)}`;
  const image = critical.image;
  const signed = isRecord(image) ? image['docker-manifest-digest'] : undefined;
  if (typeof signed !== 'string') return 'signature payload names no docker-manifest-digest';
  if (signed !== digest) return `signature is for ${signed}, not ${digest}`;
  return undefined;
}

/** Returns undefined when the in-toto statement covers `digest` with an accepted predicate type. */
export function checkInTotoStatement(
  payloadType: string,
  payload: Buffer,
  digest: string,
  acceptedPredicateTypes: readonly string[],
): string | undefined {
  if (payloadType !== IN_TOTO_PAYLOAD_TYPE) return `DSSE payload type ${payloadType} is not an in-toto statement`;
  let doc: unknown;
  try {
    doc = JSON.parse(payload.toString('utf8'));
  } catch {
    return 'in-toto statement is not JSON';
  }
  if (!isRecord(doc)) return 'in-toto statement is not an object';
  if (typeof doc.predicateType !== 'string' || !acceptedPredicateTypes.includes(doc.predicateType)) {
    return `predicate type ${JSON.stringify(doc.predicateType)} is not accepted as an image signature`;
  }
  const hex = digestHex(digest);
  const subjects = Array.isArray(doc.subject) ? doc.subject : [];
  const covered = subjects.some((s) => isRecord(s) && isRecord(s.digest) && s.digest.sha256 === hex);
  return covered ? undefined : `in-toto statement does not name ${digest} as its subject`;
}
