/**
 * runtime/engine/image-ref.ts `parseImageReference` as CEL over every container of the pod, for the
 * image families: a chain of `map` stages over `variables.containers`, each appending strings to a
 * per-container tuple, ending with the engine's status (no image / invalid with the engine's reason /
 * parsed) and the parts the families read (tag, digest, registry, repository). The checks run in the
 * engine's order, so an invalid reference gets the engine's first reason. Index arithmetic is guarded
 * by conditionals (CEL's `?:` evaluates one branch), never by `&&`.
 *
 * Domain: images are strings (the API server's schema). Every check before the ASCII test counts
 * code points in CEL and UTF-16 units in the engine; they agree unless the image has characters
 * outside the Basic Multilingual Plane (the README's caveat), and after that test the image is ASCII.
 */
import { celString, celStringList } from './cel-text';

/** Tuple positions (strings) of the final stage. */
export const IMG = {
  name: 0,
  /** The image as written ("" when missing). */
  raw: 1,
  /** "unset" when the container has no image field, else "". */
  missing: 2,
  hasDigest: 3,
  digest: 4,
  hasTag: 5,
  tag: 6,
  /** "none" (no image), "bad" (invalid: `reason`), "ok". */
  status: 7,
  reason: 8,
  registry: 9,
  repository: 10,
} as const;

const MAX_REFERENCE = 255 + 1 + 128 + 1 + 7 + 128;
const PATH_COMPONENT = '^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$';
const DOMAIN_COMPONENT = '^[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$';

/** JSON.stringify(truncate(s)) of runtime/engine/image-ref.ts for a printable-ASCII `s`. */
function quoted(s: string): string {
  const t = `(size(${s}) > 200 ? ${s}.substring(0, 200) + "…" : ${s})`;
  // replace-all as split + join (cel-js has no `replace`; both are strings ext in Kubernetes).
  return `"\\"" + ${t}.split("\\\\").join("\\\\\\\\").split("\\"").join("\\\\\\"") + "\\""`;
}

function isPort(p: string): string {
  return `(${p}.matches("^[0-9]{1,5}$") ? int(${p}) <= 65535 : false)`;
}

/** Chain of conditionals: the first matching [condition, reason], else `otherwise`. */
function firstOf(cases: [string, string][], otherwise: string): string {
  return cases.reduceRight((acc, [cond, reason]) => `((${cond}) ? ${reason} : ${acc})`, otherwise);
}

/** CEL list<list<string>>: one tuple (positions in IMG) per container, in the engine's order. */
export function parsedImagesCel(): string {
  // a: [name, raw, missing]
  const s1 = `variables.containers.map(c, [string(c.?name.orValue("")), has(c.image) ? string(c.image) : "", has(c.image) ? "" : "unset"])`;
  // b: + [rest, hasDigest, digest]   (split at the first "@")
  const at = 'a[1].indexOf("@")';
  const s2 = `.map(a, a + [${at} >= 0 ? a[1].substring(0, ${at}) : a[1], ${at} >= 0 ? "1" : "", ${at} >= 0 ? a[1].substring(${at} + 1) : ""])`;
  // c: [name, raw, missing, hasDigest, digest, hasTag, tag, nameP]  (tag after the last ":" that follows the last "/")
  const hasTag = 'b[3].lastIndexOf(":") > b[3].lastIndexOf("/")';
  const s3 =
    `.map(b, [b[0], b[1], b[2], b[4], b[5], ${hasTag} ? "1" : "", ${hasTag} ? b[3].substring(b[3].lastIndexOf(":") + 1) : "", ` +
    `${hasTag} ? b[3].substring(0, b[3].lastIndexOf(":")) : b[3]])`;
  // d: + [hasHost, host, path, alg, hex]
  const slash = 'c[7].indexOf("/")';
  const first = `c[7].substring(0, ${slash})`;
  const looksLikeHost = `(${slash} >= 0 ? (${first}.contains(".") || ${first}.contains(":") || ${first} == "localhost" || ${first}.matches("[A-Z]")) : false)`;
  const colon = 'c[4].indexOf(":")';
  const s4 =
    `.map(c, c + [${looksLikeHost} ? "1" : "", ${looksLikeHost} ? ${first} : "", ${looksLikeHost} ? c[7].substring(${slash} + 1) : c[7], ` +
    `${colon} >= 0 ? c[4].substring(0, ${colon}) : "", ${colon} >= 0 ? c[4].substring(${colon} + 1) : ""])`;
  // d indices: 0 name, 1 raw, 2 missing, 3 hasDigest, 4 digest, 5 hasTag, 6 tag, 7 nameP, 8 hasHost, 9 host, 10 path, 11 alg, 12 hex
  const registry = `(d[8] == "" ? "docker.io" : d[9].lowerAscii() in ${celStringList(['index.docker.io', 'registry-1.docker.io', 'docker.io'])} ? "docker.io" : d[9].lowerAscii())`;
  const repository = `(${registry} == "docker.io" && size(d[10].split("/")) == 1 ? "library/" + d[10] : d[10])`;
  const hexLength = '(d[11] == "sha256" ? 64 : d[11] == "sha384" ? 96 : 128)';
  const h = 'd[9]';
  const close = `${h}.indexOf("]")`;
  const ipv6Body = `${h}.substring(1, ${close})`;
  const ipv6Rest = `${h}.substring(${close} + 1)`;
  const hostColon = `${h}.indexOf(":")`;
  const hostPart = `(${hostColon} >= 0 ? ${h}.substring(0, ${hostColon}) : ${h})`;
  const ipv6Problem = firstOf(
    [
      [`${close} < 0`, '"unterminated IPv6 address in host"'],
      [`!${ipv6Body}.matches("^[0-9a-fA-F:.]{2,45}$") || !${ipv6Body}.contains(":")`, '"invalid IPv6 address in host"'],
      [`${ipv6Rest} == ""`, '""'],
      [`!${ipv6Rest}.startsWith(":")`, '"invalid host"'],
      [`!${isPort(`${ipv6Rest}.substring(1)`)}`, '"invalid port in host"'],
    ],
    '""',
  );
  const plainProblem = firstOf(
    [
      [`${hostColon} >= 0 ? !${isPort(`${h}.substring(${hostColon} + 1)`)} : false`, '"invalid port in host"'],
      [`${hostPart}.split(".").exists(l, !l.matches(${celString(DOMAIN_COMPONENT)}))`, '"invalid registry host"'],
    ],
    '""',
  );
  const hostProblem = `(${h}.startsWith("[") ? ${ipv6Problem} : ${plainProblem})`;
  const badSegments = `d[10].split("/").filter(s, !s.matches(${celString(PATH_COMPONENT)}))`;
  const reason = firstOf(
    [
      [`size(d[1]) > ${MAX_REFERENCE}`, celString(`longer than ${MAX_REFERENCE} characters`)],
      ['d[1].matches("[^!-~]")', '"contains whitespace, control or non-ASCII characters"'],
      ['d[3] != "" && !d[4].contains(":")', '"digest must be algorithm:hex"'],
      [`d[3] != "" && !(d[11] in ${celStringList(['sha256', 'sha384', 'sha512'])})`, `"unsupported digest algorithm " + ${quoted('d[11]')}`],
      [`d[3] != "" && size(d[12]) != ${hexLength}`, `d[11] + " digest must have " + string(${hexLength}) + " hex characters"`],
      ['d[3] != "" && !d[12].matches("^[0-9a-f]*$")', '"digest must be lowercase hexadecimal"'],
      ['d[5] != "" && d[6] == ""', '"empty tag"'],
      ['d[5] != "" && size(d[6]) > 128', '"tag longer than 128 characters"'],
      ['d[5] != "" && !d[6].matches("^[A-Za-z0-9_][A-Za-z0-9_.-]*$")', '"invalid tag"'],
      ['d[7] == ""', '"empty repository name"'],
      ['d[7].matches("^[0-9a-f]{64}$")', '"a 64-character hexadecimal string is an image ID, not a name"'],
      [`(d[8] != "" ? ${hostProblem} != "" : false)`, hostProblem],
      [
        `d[8] != "" && ${h}.matches("[A-Z]") && !${h}.contains(".") && !${h}.contains(":") && !${h}.startsWith("[")`,
        '"ambiguous registry host: a dotless host must be lowercase"',
      ],
      [
        `size(${badSegments}) > 0`,
        `(${badSegments}[0].matches("[A-Z]") ? "repository name must be lowercase" : "invalid repository path component " + ${quoted(`${badSegments}[0]`)})`,
      ],
      [`size(${registry}) + 1 + size(${repository}) > 255`, '"repository name longer than 255 characters"'],
    ],
    '""',
  );
  // e: d + [reason]; final: [name, raw, missing, hasDigest, digest, hasTag, tag, status, reason, registry, repository]
  const none = 'd[2] != "" || d[1] == ""';
  const s5 = `.map(d, d + [${none} ? "" : ${reason}])`;
  const s6 = `.map(d, [d[0], d[1], d[2], d[3], d[4], d[5], d[6], ${none} ? "none" : d[13] != "" ? "bad" : "ok", d[13], ${none} || d[13] != "" ? "" : ${registry}, ${none} || d[13] != "" ? "" : ${repository}])`;
  return `${s1}${s2}${s3}${s4}${s5}${s6}`;
}

/** `*`-separated literal pieces as RE2: each `*` (or run of `*`) any run of characters outside `forbidden`. */
function segmentRe(text: string, forbidden: string): string {
  const star = forbidden === '' ? '.*' : `[^${forbidden.replace(/[\\\]^[-]/g, '\\$&')}]*`;
  return text
    .split(/\*+/)
    .map((p) => p.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&'))
    .join(star);
}

const GLOB_DOCKER_HUB_ALIASES = new Set(['index.docker.io', 'registry-1.docker.io', 'docker.io']);

/**
 * A valid image glob (runtime/engine/image-ref.ts `matchesImageGlob`, checked with
 * `checkImageGlob` by the caller) as CEL over the parsed tuple `t` (IMG): the name part as one
 * anchored RE2 over `registry/repository/` (a segment glob is its pieces joined by "any run of
 * characters but `/`" — and `.`, `:`, `[`, `]` in the host —, `**` as a whole segment is any number
 * of whole segments), then the tag and digest globs. The engine's greedy leftmost matching of
 * `*`-only pieces decides exactly what the anchored regular expression decides.
 */
export function imageGlobCel(pattern: string, t: string): string {
  // splitReference of image-ref.ts
  const at = pattern.indexOf('@');
  const rest = at >= 0 ? pattern.slice(0, at) : pattern;
  const digest = at >= 0 ? pattern.slice(at + 1) : undefined;
  const lastSlash = rest.lastIndexOf('/');
  const lastColon = rest.lastIndexOf(':');
  const name = lastColon > lastSlash ? rest.slice(0, lastColon) : rest;
  const tag = lastColon > lastSlash ? rest.slice(lastColon + 1) : undefined;
  // normalizeGlobName of image-ref.ts: a leading `**` keeps every segment; else host (or docker.io) + path
  const raw = name.split('/');
  let globs: string[];
  if (raw[0] === '**') globs = raw;
  else {
    let registry = 'docker.io';
    let path = raw.slice();
    const first = raw[0];
    if (raw.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost' || /[A-Z]/.test(first))) {
      const lower = first.replace(/[A-Z]/g, (c) => c.toLowerCase());
      registry = first.includes('*') || !GLOB_DOCKER_HUB_ALIASES.has(lower) ? lower : 'docker.io';
      path = raw.slice(1);
    }
    if (registry === 'docker.io' && path.length === 1 && path[0] !== '**') path = ['library', path[0]];
    globs = [registry, ...path];
  }
  const hostIndex = raw[0] === '**' ? -1 : 0;
  const segments = globs.map((g, i) => (g === '**' ? '(?:[^/]*/)*' : `${segmentRe(g, i === hostIndex ? '.:[]/' : '/')}/`));
  const conds = [`(${t}[${IMG.registry}] + "/" + ${t}[${IMG.repository}] + "/").matches(${celString(`^${segments.join('')}$`)})`];
  if (tag !== undefined) conds.push(`${t}[${IMG.hasTag}] != "" && ${t}[${IMG.tag}].matches(${celString(`^${segmentRe(tag, '')}$`)})`);
  if (digest !== undefined) conds.push(`${t}[${IMG.hasDigest}] != "" && ${t}[${IMG.digest}].matches(${celString(`^${segmentRe(digest, '')}$`)})`);
  return `(${conds.join(' && ')})`;
}
