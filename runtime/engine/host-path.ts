/**
 * Host path normalization and containment, for the hostPaths allow-list and denyRuntimeSocket.
 * Pure string functions; the host file system is never consulted (the engine cannot see it).
 *
 * - `normalizeHostPath` resolves `.`, `..`, duplicate and trailing slashes lexically, the way the
 *   kernel resolves a path without symlinks: `/var/log/../run/docker.sock` → `/run/docker.sock`,
 *   `/..` → `/`. Relative, empty, NUL-containing or overlong paths are rejected (undefined), and the
 *   callers treat them as not allowed (fail closed). The API server already refuses `..` in a
 *   hostPath, but the offline CLI reads raw files, so the engine never relies on that.
 * - `isPathWithin(path, prefix)` is prefix containment on whole path segments: `/var/log` contains
 *   `/var/log` and `/var/log/pods` but not `/var/logs`.
 * - `canonicalRunPath` maps `/var/run/...` to `/run/...`: on every mainstream distribution
 *   `/var/run` is a symlink to `/run`, so the two spell the same socket.
 */

const MAX_PATH_LENGTH = 4096;

export function normalizeHostPath(path: string): string | undefined {
  if (typeof path !== 'string' || path.length === 0 || path.length > MAX_PATH_LENGTH) return undefined;
  if (path[0] !== '/' || path.includes('\0')) return undefined;
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}

/** Both arguments must already be normalized. */
export function isPathWithin(path: string, prefix: string): boolean {
  if (prefix === '/') return true;
  return path === prefix || (path.startsWith(prefix) && path.charCodeAt(prefix.length) === 0x2f);
}

/** `/var/run` and `/var/run/...` → `/run...`; anything else unchanged. Input must be normalized. */
export function canonicalRunPath(path: string): string {
  if (path === '/var/run') return '/run';
  if (path.startsWith('/var/run/')) return path.slice('/var'.length);
  return path;
}

/**
 * Does mounting host path `mounted` expose `target` (the target itself or a directory above it)?
 * Both spellings of a `/run` path count (`/run/x` and `/var/run/x`), so `/var` (which holds the
 * `/var/run` link), `/var/run`, `/run` and `/` all expose `/run/docker.sock` and
 * `/var/run/docker.sock` alike.
 */
export function exposesPath(mounted: string, target: string): boolean {
  const canonical = canonicalRunPath(target);
  const spellings = canonical === '/run' || canonical.startsWith('/run/') ? [canonical, `/var${canonical}`] : [canonical];
  const mountedSpellings = [mounted, canonicalRunPath(mounted)];
  return spellings.some((t) => mountedSpellings.some((m) => isPathWithin(t, m)));
}
