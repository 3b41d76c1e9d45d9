/**
 * Container image references and image globs: the ONE parser and matcher every part of Portcullis
 * uses (allowedRegistries, requireDigest, disallowLatestTag, verifyImages, exemptions by image).
 *
 * ## Reference grammar and normalization
 *
 * References follow the grammar of the container runtimes (distribution/reference, as used by
 * Docker, containerd and CRI-O), with the same Docker Hub normalization the kubelet applies:
 *
 * ```
 * reference  := name [ ":" tag ] [ "@" digest ]
 * name       := [ host "/" ] path          (total length <= 255 after normalization)
 * host       := domain-component ("." domain-component)* [ ":" port ] | "[" ipv6 "]" [ ":" port ]
 * path       := component ("/" component)*        component := [a-z0-9]+ (([._]|__|-+)[a-z0-9]+)*
 * tag        := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 * digest     := "sha256:" 64 hex | "sha384:" 96 hex | "sha512:" 128 hex   (lowercase hex)
 * ```
 *
 * - The first path segment is a registry host only if it contains `.` or `:`, is `localhost`, or
 *   contains an uppercase letter (the runtimes' rule); otherwise the registry is `docker.io`.
 * - `index.docker.io` (and `registry-1.docker.io`) are aliases of `docker.io`.
 * - A Docker Hub name with one segment gets the `library/` prefix (`nginx` → `docker.io/library/nginx`).
 * - Hosts are compared case-insensitively and normalized to lowercase. A dotless, portless host
 *   written with uppercase letters (`Registry/app`) is rejected: its lowercase form would re-parse
 *   as a Docker Hub name, so accepting it would make `normalized` ambiguous.
 * - Repository paths must be lowercase; uppercase, whitespace and any non-ASCII character
 *   (including lookalikes such as the Kelvin sign `K`, which `toLowerCase()` would turn into `k`)
 *   are rejected with an `ImageReferenceError`.
 * - A 64-hex-character name alone is rejected (runtimes read it as an image ID, not a name).
 *
 * ## Glob dialect (`matchesImageGlob`)
 *
 * A glob has the same shape as a reference: `name-glob [":" tag-glob] ["@" digest-glob]`.
 *
 * - The name part is split at `/` into segments; the first segment is the host by the same rule as
 *   for references, so globs are normalized like references (`nginx` means
 *   `docker.io/library/nginx`, `myorg/*` means `docker.io/myorg/*`, `index.docker.io/x/y` means
 *   `docker.io/x/y`). Host segments compare case-insensitively.
 * - `*` matches any run of characters WITHIN ONE SEGMENT: it never crosses `/`. In the host
 *   segment it also never crosses `.` or `:` (it stays inside one DNS label or the port), so
 *   `registry.example.com/*` cannot match `registry.example.com.evil.io/x` (the host segments
 *   differ), a host segment `registry.example.com*` cannot match `registry.example.com.evil.io`, and
 *   `*.example.com/**` matches `a.example.com/x` but neither `a.b.example.com/x` (write
 *   `*.*.example.com` for that) nor `a.example.com:5000/x` (add a `*.example.com:*` host glob for ports).
 * - `**` as a WHOLE segment matches zero or more whole segments (host included when it comes
 *   first: the glob `**` matches every image). Inside a segment with other characters, `**`
 *   behaves like `*`. A Docker Hub glob with one path segment gets `library/` like a reference
 *   does: `docker.io/*` (and `*`) mean `docker.io/library/*`, the official images only; write
 *   `docker.io/**` for all of Docker Hub.
 * - No other character is special (no `?`, no classes, no escapes).
 * - Without a tag-glob or digest-glob, any tag and any digest match. With `:tag-glob`, the
 *   reference must carry a tag that matches it (`*` may match any characters of the tag). With
 *   `@digest-glob`, the reference must carry a digest matching it.
 * - An invalid glob matches nothing (fail closed); `checkImageGlob` reports why, for synth.
 * - Synth also refuses valid globs whose meaning hangs on the implicit Docker Hub normalization
 *   (`*`, `myorg/app-*`, `nginx`, `docker.io/*`, a `*` first segment): constructs/rules/image-references.ts, using
 *   `imageGlobScope`. The matcher itself keeps the runtimes' semantics for any bundle it is given.
 *
 * Matching runs in time linear in the reference for a given glob (greedy leftmost matching of the
 * literal pieces between stars; no regular expression is ever built from a glob or a reference),
 * so an attacker-chosen image string cannot cause catastrophic backtracking.
 */

export interface ImageReference {
  /** Registry host[:port], lowercase; `docker.io` for Docker Hub. */
  registry: string;
  /** Repository path inside the registry (`library/nginx`). */
  repository: string;
  tag?: string;
  /** `algorithm:hex`, e.g. `sha256:…`. */
  digest?: string;
  /** Fully qualified `registry/repository[:tag][@digest]`. */
  normalized: string;
}

export class ImageReferenceError extends Error {
  constructor(
    readonly reference: string,
    readonly reason: string,
  ) {
    super(`invalid image reference ${JSON.stringify(truncate(reference))}: ${reason}`);
    this.name = 'ImageReferenceError';
  }
}

export const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_ALIASES = new Set(['index.docker.io', 'registry-1.docker.io', DOCKER_HUB]);
const NAME_TOTAL_LENGTH_MAX = 255;
const TAG_LENGTH_MAX = 128;
const DIGEST_HEX_LENGTH: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

function truncate(s: string): string {
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

function isLowerAlnum(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39);
}
function isAlnum(c: number): boolean {
  return isLowerAlnum(c) || (c >= 0x41 && c <= 0x5a);
}
function isHexLower(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66);
}
function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function hasUpper(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) return true;
  }
  return false;
}

/** ASCII-only lowercase (never maps non-ASCII lookalikes onto ASCII letters). */
function asciiLower(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += c >= 0x41 && c <= 0x5a ? String.fromCharCode(c + 32) : s[i];
  }
  return out;
}

/** `[a-z0-9]+ (([._]|__|-+)[a-z0-9]+)*`, scanned once. */
function isPathComponent(s: string): boolean {
  if (s.length === 0 || !isLowerAlnum(s.charCodeAt(0)) || !isLowerAlnum(s.charCodeAt(s.length - 1))) return false;
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (isLowerAlnum(c)) {
      i++;
      continue;
    }
    // a separator: ".", "_", "__" or one or more "-", followed by an alphanumeric
    if (c === 0x2e) i++;
    else if (c === 0x5f) i += s.charCodeAt(i + 1) === 0x5f ? 2 : 1;
    else if (c === 0x2d) while (s.charCodeAt(i) === 0x2d) i++;
    else return false;
    if (i >= s.length || !isLowerAlnum(s.charCodeAt(i))) return false;
  }
  return true;
}

/** `[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?` */
function isDomainComponent(s: string): boolean {
  if (s.length === 0 || !isAlnum(s.charCodeAt(0)) || !isAlnum(s.charCodeAt(s.length - 1))) return false;
  for (let i = 1; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (!isAlnum(c) && c !== 0x2d) return false;
  }
  return true;
}

function isPort(s: string): boolean {
  if (s.length === 0 || s.length > 5) return false;
  for (let i = 0; i < s.length; i++) if (!isDigit(s.charCodeAt(i))) return false;
  return Number(s) <= 65535;
}

function isIpv6Body(s: string): boolean {
  if (s.length < 2 || s.length > 45) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!(isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46) || c === 0x3a || c === 0x2e)) return false;
  }
  return s.includes(':');
}

/** Validates `host[:port]`; returns a reason when invalid. */
function hostProblem(host: string): string | undefined {
  let hostPart = host;
  let port: string | undefined;
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    if (close < 0) return 'unterminated IPv6 address in host';
    if (!isIpv6Body(host.slice(1, close))) return 'invalid IPv6 address in host';
    const rest = host.slice(close + 1);
    if (rest === '') return undefined;
    if (!rest.startsWith(':')) return 'invalid host';
    return isPort(rest.slice(1)) ? undefined : 'invalid port in host';
  }
  const colon = host.indexOf(':');
  if (colon >= 0) {
    hostPart = host.slice(0, colon);
    port = host.slice(colon + 1);
    if (!isPort(port)) return 'invalid port in host';
  }
  for (const label of hostPart.split('.')) {
    if (!isDomainComponent(label)) return 'invalid registry host';
  }
  return undefined;
}

/** True when the runtimes read this first segment as a registry host. */
function looksLikeHost(segment: string): boolean {
  return segment.includes('.') || segment.includes(':') || segment === 'localhost' || hasUpper(segment);
}

function isAllHex64(s: string): boolean {
  if (s.length !== 64) return false;
  for (let i = 0; i < s.length; i++) if (!isHexLower(s.charCodeAt(i))) return false;
  return true;
}

function tagProblem(tag: string): string | undefined {
  if (tag.length === 0) return 'empty tag';
  if (tag.length > TAG_LENGTH_MAX) return `tag longer than ${TAG_LENGTH_MAX} characters`;
  const first = tag.charCodeAt(0);
  if (!(isAlnum(first) || first === 0x5f)) return 'invalid tag';
  for (let i = 1; i < tag.length; i++) {
    const c = tag.charCodeAt(i);
    if (!(isAlnum(c) || c === 0x5f || c === 0x2e || c === 0x2d)) return 'invalid tag';
  }
  return undefined;
}

function digestProblem(digest: string): string | undefined {
  const colon = digest.indexOf(':');
  if (colon < 0) return 'digest must be algorithm:hex';
  const algorithm = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  const expected = DIGEST_HEX_LENGTH[algorithm];
  if (expected === undefined || !Object.prototype.hasOwnProperty.call(DIGEST_HEX_LENGTH, algorithm)) {
    return `unsupported digest algorithm ${JSON.stringify(truncate(algorithm))}`;
  }
  if (hex.length !== expected) return `${algorithm} digest must have ${expected} hex characters`;
  for (let i = 0; i < hex.length; i++) {
    if (!isHexLower(hex.charCodeAt(i))) return 'digest must be lowercase hexadecimal';
  }
  return undefined;
}

interface SplitReference {
  name: string;
  tag?: string;
  digest?: string;
}

/** Splits `name[:tag][@digest]` (tag = after the last `:` that follows the last `/`). */
function splitReference(ref: string): SplitReference {
  const at = ref.indexOf('@');
  let rest = ref;
  let digest: string | undefined;
  if (at >= 0) {
    digest = ref.slice(at + 1);
    rest = ref.slice(0, at);
  }
  const lastSlash = rest.lastIndexOf('/');
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > lastSlash) {
    return { name: rest.slice(0, lastColon), tag: rest.slice(lastColon + 1), digest };
  }
  return { name: rest, digest };
}

/** Splits a name into (host as written, path segments), applying the runtimes' host rule. */
function splitHost(name: string): { host: string | undefined; path: string } {
  const slash = name.indexOf('/');
  if (slash < 0) return { host: undefined, path: name };
  const first = name.slice(0, slash);
  if (!looksLikeHost(first)) return { host: undefined, path: name };
  return { host: first, path: name.slice(slash + 1) };
}

function normalizeHost(host: string): string {
  const lower = asciiLower(host);
  return DOCKER_HUB_ALIASES.has(lower) ? DOCKER_HUB : lower;
}

/**
 * Parse and normalize an image reference exactly as the container runtimes do.
 * @throws ImageReferenceError for anything the runtimes would not accept.
 */
export function parseImageReference(ref: string): ImageReference {
  if (typeof ref !== 'string' || ref.length === 0) throw new ImageReferenceError(String(ref), 'empty reference');
  // Cheap upper bound first, so a megabyte of input is rejected without scanning it repeatedly.
  const maxLength = NAME_TOTAL_LENGTH_MAX + 1 + TAG_LENGTH_MAX + 1 + 7 + 128;
  if (ref.length > maxLength) throw new ImageReferenceError(ref, `longer than ${maxLength} characters`);
  for (let i = 0; i < ref.length; i++) {
    const c = ref.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) throw new ImageReferenceError(ref, 'contains whitespace, control or non-ASCII characters');
  }
  const { name, tag, digest } = splitReference(ref);
  if (digest !== undefined) {
    const problem = digestProblem(digest);
    if (problem) throw new ImageReferenceError(ref, problem);
  }
  if (tag !== undefined) {
    const problem = tagProblem(tag);
    if (problem) throw new ImageReferenceError(ref, problem);
  }
  if (name.length === 0) throw new ImageReferenceError(ref, 'empty repository name');
  if (isAllHex64(name)) throw new ImageReferenceError(ref, 'a 64-character hexadecimal string is an image ID, not a name');

  const { host, path } = splitHost(name);
  let registry = DOCKER_HUB;
  if (host !== undefined) {
    const problem = hostProblem(host);
    if (problem) throw new ImageReferenceError(ref, problem);
    if (hasUpper(host) && !host.includes('.') && !host.includes(':') && !host.startsWith('[')) {
      throw new ImageReferenceError(ref, 'ambiguous registry host: a dotless host must be lowercase');
    }
    registry = normalizeHost(host);
  }
  const segments = path.split('/');
  for (const s of segments) {
    if (!isPathComponent(s)) {
      throw new ImageReferenceError(
        ref,
        hasUpper(s) ? 'repository name must be lowercase' : `invalid repository path component ${JSON.stringify(truncate(s))}`,
      );
    }
  }
  const repository = registry === DOCKER_HUB && segments.length === 1 ? `library/${path}` : path;
  const fullName = `${registry}/${repository}`;
  if (fullName.length > NAME_TOTAL_LENGTH_MAX) {
    throw new ImageReferenceError(ref, `repository name longer than ${NAME_TOTAL_LENGTH_MAX} characters`);
  }
  const normalized = fullName + (tag !== undefined ? `:${tag}` : '') + (digest !== undefined ? `@${digest}` : '');
  const out: ImageReference = { registry, repository, normalized };
  if (tag !== undefined) out.tag = tag;
  if (digest !== undefined) out.digest = digest;
  return out;
}

/** `parseImageReference` without the exception: undefined for an invalid reference. */
export function tryParseImageReference(ref: string): ImageReference | undefined {
  try {
    return parseImageReference(ref);
  } catch (e) {
    if (e instanceof ImageReferenceError) return undefined;
    throw e;
  }
}

// ---- globs ---------------------------------------------------------------------------------

/** One segment glob: literal pieces between `*`s, plus whether the ends are anchored. */
interface SegmentGlob {
  /** `**` as a whole segment. */
  globstar: boolean;
  pieces: string[];
  /** Characters a `*` may not match (`/` never appears inside a segment anyway). */
  forbidden: string;
}

interface CompiledGlob {
  /** Name segments, host first (unless a leading `**`). */
  segments: SegmentGlob[];
  tag?: SegmentGlob;
  digest?: SegmentGlob;
}

function compileSegment(text: string, forbidden: string, caseFold: boolean): SegmentGlob {
  if (text === '**') return { globstar: true, pieces: [], forbidden };
  const t = caseFold ? asciiLower(text) : text;
  return { globstar: false, pieces: t.split(/\*+/), forbidden };
}

function hasForbidden(s: string, from: number, to: number, forbidden: string): boolean {
  if (forbidden === '') return false;
  for (let i = from; i < to; i++) if (forbidden.includes(s[i])) return true;
  return false;
}

/**
 * Greedy leftmost match of `*`-separated literal pieces: first piece anchored at the start, last at
 * the end, middle pieces at their earliest position. Correct for `*`-only globs, and linear in the
 * subject for a given glob.
 */
function matchSegment(glob: SegmentGlob, subject: string): boolean {
  const { pieces, forbidden } = glob;
  if (pieces.length === 1) return subject === pieces[0];
  const first = pieces[0];
  const last = pieces[pieces.length - 1];
  if (subject.length < first.length + last.length) return false;
  if (!subject.startsWith(first) || !subject.endsWith(last)) return false;
  let pos = first.length;
  const end = subject.length - last.length;
  for (let i = 1; i < pieces.length - 1; i++) {
    const piece = pieces[i];
    const found = subject.indexOf(piece, pos);
    if (found < 0 || found + piece.length > end) return false;
    if (hasForbidden(subject, pos, found, forbidden)) return false;
    pos = found + piece.length;
  }
  return !hasForbidden(subject, pos, end, forbidden);
}

function matchRun(globs: readonly SegmentGlob[], subject: readonly string[], at: number): boolean {
  for (let i = 0; i < globs.length; i++) if (!matchSegment(globs[i], subject[at + i])) return false;
  return true;
}

/** Segment-level match with `**` (zero or more whole segments), greedy leftmost per run. */
function matchSegments(globs: readonly SegmentGlob[], subject: readonly string[]): boolean {
  const runs: SegmentGlob[][] = [[]];
  for (const g of globs) {
    if (g.globstar) runs.push([]);
    else runs[runs.length - 1].push(g);
  }
  if (runs.length === 1) return globs.length === subject.length && matchRun(globs, subject, 0);
  const first = runs[0];
  const last = runs[runs.length - 1];
  if (subject.length < first.length + last.length) return false;
  if (!matchRun(first, subject, 0)) return false;
  const end = subject.length - last.length;
  if (!matchRun(last, subject, end)) return false;
  let pos = first.length;
  for (let r = 1; r < runs.length - 1; r++) {
    const run = runs[r];
    let found = -1;
    for (let p = pos; p + run.length <= end; p++) {
      if (matchRun(run, subject, p)) {
        found = p;
        break;
      }
    }
    if (found < 0) return false;
    pos = found + run.length;
  }
  return true;
}

/** A glob's name part after the same normalization as references. */
interface GlobName {
  /** The registry host glob (lowercase, Docker Hub aliases folded; `docker.io` when not written); undefined after a leading `**`. */
  registry: string | undefined;
  /** The path segment globs (`library/` inserted for a one-segment Docker Hub glob); every segment after a leading `**`. */
  path: string[];
  /** Whether the first segment is a registry host (the runtimes' rule, `looksLikeHost`). */
  hostWritten: boolean;
  /** Whether normalization inserted `library/`. */
  libraryAdded: boolean;
}

function normalizeGlobName(rawSegments: readonly string[]): GlobName {
  if (rawSegments[0] === '**') return { registry: undefined, path: [...rawSegments], hostWritten: false, libraryAdded: false };
  let registry = DOCKER_HUB;
  let path = rawSegments.slice();
  let hostWritten = false;
  if (rawSegments.length > 1 && looksLikeHost(rawSegments[0])) {
    registry = rawSegments[0].includes('*') ? asciiLower(rawSegments[0]) : normalizeHost(rawSegments[0]);
    path = rawSegments.slice(1);
    hostWritten = true;
  }
  const libraryAdded = registry === DOCKER_HUB && path.length === 1 && path[0] !== '**';
  if (libraryAdded) path = ['library', path[0]];
  return { registry, path, hostWritten, libraryAdded };
}

/** What a valid glob's name part means after normalization (for synth-time explanations). */
export interface ImageGlobScope {
  /** The name part as written (`*` for `*:v1`). */
  name: string;
  /**
   * The registry host glob it matches after normalization (`docker.io` when no host is written);
   * undefined when the glob starts with `**` and so matches every registry.
   */
  registry: string | undefined;
  /** Whether the glob writes its registry host (a first segment with `.` or `:`, or `localhost`). */
  hostWritten: boolean;
  /** Whether normalization inserted `library/` (a Docker Hub glob with one path segment). */
  libraryAdded: boolean;
  /** The whole glob as it is matched, e.g. `docker.io/library/*` for `*`, `docker.io/myorg/*:v1` for `myorg/*:v1`. */
  normalized: string;
}

/** How a glob is normalized (see the module documentation); undefined for an invalid glob. */
export function imageGlobScope(pattern: string): ImageGlobScope | undefined {
  if (checkImageGlob(pattern) !== undefined) return undefined;
  const { name } = splitReference(pattern);
  const n = normalizeGlobName(name.split('/'));
  const suffix = pattern.slice(name.length);
  const normalized = (n.registry === undefined ? n.path : [n.registry, ...n.path]).join('/') + suffix;
  return { name, registry: n.registry, hostWritten: n.hostWritten, libraryAdded: n.libraryAdded, normalized };
}

/** Compile a glob; returns a reason string when it is invalid. */
function compileGlob(pattern: string): CompiledGlob | string {
  if (pattern.length === 0) return 'empty glob';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return 'glob contains whitespace, control or non-ASCII characters';
  }
  const { name, tag, digest } = splitReference(pattern);
  if (name.length === 0) return 'empty name in glob';
  const rawSegments = name.split('/');
  if (rawSegments.some((s) => s === '')) return 'empty path segment in glob';
  const segments: SegmentGlob[] = [];
  const { registry, path } = normalizeGlobName(rawSegments);
  if (registry !== undefined) segments.push(compileSegment(registry, '.:[]', true));
  for (const s of path) segments.push(compileSegment(s, '', false));
  const out: CompiledGlob = { segments };
  if (tag !== undefined) {
    if (tag === '') return 'empty tag in glob';
    out.tag = compileSegment(tag, '', false);
  }
  if (digest !== undefined) {
    if (digest === '') return 'empty digest in glob';
    out.digest = compileSegment(digest, '', false);
  }
  return out;
}

const GLOB_CACHE_MAX = 1024;
const globCache = new Map<string, CompiledGlob | string>();

function compiled(pattern: string): CompiledGlob | string {
  let g = globCache.get(pattern);
  if (g === undefined) {
    g = compileGlob(pattern);
    if (globCache.size >= GLOB_CACHE_MAX) globCache.clear();
    globCache.set(pattern, g);
  }
  return g;
}

/** Why a glob is invalid (for synth-time validation), or undefined when it is valid. */
export function checkImageGlob(pattern: string): string | undefined {
  const g = compiled(pattern);
  return typeof g === 'string' ? g : undefined;
}

/**
 * Does the normalized reference match the glob? See the module documentation for the dialect.
 * An invalid glob matches nothing.
 */
export function matchesImageGlob(pattern: string, ref: ImageReference): boolean {
  const g = compiled(pattern);
  if (typeof g === 'string') return false;
  const subject = [ref.registry, ...ref.repository.split('/')];
  if (!matchSegments(g.segments, subject)) return false;
  if (g.tag !== undefined && (ref.tag === undefined || !matchSegment(g.tag, ref.tag))) return false;
  if (g.digest !== undefined && (ref.digest === undefined || !matchSegment(g.digest, ref.digest))) return false;
  return true;
}

/** Convenience: does the image string (parsed and normalized) match any of the globs? Invalid images match nothing. */
export function imageMatchesAny(patterns: readonly string[], image: string): boolean {
  const ref = tryParseImageReference(image);
  return ref !== undefined && patterns.some((p) => matchesImageGlob(p, ref));
}
