import { checkImageGlob, imageGlobScope } from '../../runtime/engine/image-ref';
import type { Policy } from '../policy';
import { PolicyRule, type RuleSpec } from './policy-rule';

/**
 * Problems with a list of image globs (see runtime/engine/image-ref.ts for the dialect). Every
 * construct that takes image globs (AllowedRegistries, VerifyImages imageReferences and
 * skipImageReferences, Exemption control images) checks them here, so all refuse the same globs.
 */
export function globProblems(what: string, globs: readonly string[]): string[] {
  const out: string[] = [];
  for (const g of globs) {
    if (/^[a-z]+:\/\//i.test(g)) {
      out.push(`${what}: "${g}" has a URL scheme. Fix: write the registry host and path only, e.g. "registry.example.com/team/**".`);
      continue;
    }
    const e = checkImageGlob(g);
    if (e !== undefined) {
      out.push(`${what}: "${g}" is not a valid image glob (${e}). Fix: see the glob dialect in runtime/engine/image-ref.ts.`);
      continue;
    }
    const implicit = implicitDockerHubProblem(g);
    if (implicit !== undefined) out.push(`${what}: ${implicit}`);
  }
  return out;
}

const HOST_RULE = 'a first segment is a registry host only if it contains "." or ":" or is "localhost"';

// Why a valid glob cannot mean what it says, or undefined. The matcher (runtime/engine/image-ref.ts)
// normalizes a glob as the container runtimes normalize a reference: a name whose first segment is
// not a host is a Docker Hub name, and a one-segment Docker Hub name gets `library/`. So `*` means
// docker.io/library/* (official images only, not "every registry"), `*/*` and `myorg/*` mean
// Docker Hub namespaces, `ghcr/team/app` (a host missing its ".io") silently means Docker Hub, and
// `docker.io/*` means the library images, not all of Docker Hub.
//
// Decision: synth refuses EVERY glob whose registry comes from that implicit normalization, short
// Docker Hub names included (`nginx`, `library/*`, `bitnami/redis`). A short name is unambiguous
// to the runtime but not to a reviewer, and it is exactly the shape of the mistakes above; the
// explicit form (`docker.io/library/nginx`) costs a few characters and says what it matches. A
// leading `**` (every registry) is explicit and stays allowed, and so is a written host with a
// literal one-segment Docker Hub path (`docker.io/nginx` is what `docker pull docker.io/nginx`
// pulls); a written Docker Hub host with a one-segment WILDCARD path (`docker.io/*`) is refused
// because it reads as "all of Docker Hub" but matches only the library images.
export function implicitDockerHubProblem(glob: string): string | undefined {
  const scope = imageGlobScope(glob);
  // invalid (reported by checkImageGlob) or a leading `**`: every registry, explicitly
  if (scope === undefined || scope.registry === undefined) return undefined;
  const means = `so it means "${scope.normalized}"`;
  const suffix = glob.slice(scope.name.length);
  const first = scope.name.split('/')[0];
  if (scope.hostWritten) {
    if (!first.includes('.') && !first.includes(':') && scope.registry !== 'localhost') {
      // a host only because of an uppercase letter: references with such a host are refused, so it matches nothing
      return (
        `"${glob}": "${first}" is read as a registry host only because it has an uppercase letter, and image references with such a host are invalid, so it matches no image. ` +
        `Fix: write the full registry host, e.g. "registry.example.com/${scope.name.slice(first.length + 1)}${suffix}".`
      );
    }
    if (!scope.libraryAdded || !scope.name.includes('*')) return undefined;
    const last = scope.name.slice(first.length + 1);
    return (
      `"${glob}" means "${scope.normalized}": Docker Hub reads a one-segment name as library/${last}, so it matches only Docker Hub library images such as ` +
      `docker.io/library/nginx, not all of Docker Hub. Fix: write "${scope.normalized}" for the library images, or "docker.io/**${suffix}" for all of Docker Hub.`
    );
  }
  if (!scope.name.includes('/') && (scope.name.includes('.') || scope.name === 'localhost')) {
    // `registry.example.com`, `*.example.com`, `localhost:5000`: a host with no repository part
    const host = scope.name + (scope.name === 'localhost' && /^:\d+$/.test(suffix) ? suffix : '');
    return (
      `"${glob}" names no repository, so "${scope.name}" is read as a Docker Hub library image and the glob means "${scope.normalized}" ` +
      `(it matches no image of a registry "${host}"). Fix: write "${host}/**" for every image of that registry, or "${host}/team/app" for one repository.`
    );
  }
  if (scope.libraryAdded) {
    if (scope.name.includes('*')) {
      return (
        `"${glob}" has no registry host, ${means}: "${scope.name}" matches only Docker Hub library images such as docker.io/library/nginx, not every registry. ` +
        `Fix: write "**${suffix}" for any image, or the registry host, e.g. "registry.example.com/**${suffix}" (or "${scope.normalized}" if Docker Hub library images are really meant).`
      );
    }
    return (
      `"${glob}" has no registry host, ${means} (the Docker Hub library image) and no image of any other registry. ` +
      `Fix: write "${scope.normalized}" to say so, or the registry it comes from, e.g. "registry.example.com/${scope.name}${suffix}".`
    );
  }
  const fromFirst = first.includes('*')
    ? `its first segment "${first}" is not a registry host (${HOST_RULE}), so it matches only Docker Hub images (docker.io/…), not every registry`
    : `"${first}" is not a registry host (${HOST_RULE}), so it matches only Docker Hub images under docker.io/${first}/, not every registry`;
  const fixHost = first.includes('*') ? `"registry.example.com/**${suffix}"` : `"registry.example.com/${scope.name}${suffix}"`;
  return (
    `"${glob}" has no registry host, ${means}: ${fromFirst}. ` +
    `Fix: write "**${suffix}" for any image, or the registry host, e.g. ${fixHost} (or "${scope.normalized}" if Docker Hub is really meant).`
  );
}

export interface AllowedRegistriesProps {
  /**
   * Image globs after normalization: `*` stays within one path segment (and one DNS label in the
   * host), `**` spans segments. `registry.example.com/**` allows everything from that registry;
   * Docker Hub images normalize to `docker.io/library/…`. Each glob names its registry host (or
   * starts with `**`): synth refuses `*`, `*` + `/*`, `myorg/*`, `nginx`, `docker.io/*` (see
   * implicitDockerHubProblem); write `docker.io/library/nginx` for Docker Hub images.
   */
  readonly allowed: readonly string[];
}

/** Validating: every container image must come from an allowed registry/repository. */
export class AllowedRegistries extends PolicyRule {
  readonly ruleType = 'allowedRegistries' as const;
  readonly allowed: string[];

  constructor(scope: Policy, id: string, props: AllowedRegistriesProps) {
    super(scope, id);
    this.allowed = [...props.allowed];
  }

  spec(): RuleSpec {
    return { type: 'allowedRegistries', allowed: this.allowed };
  }

  protected override problems(): string[] {
    if (this.allowed.length === 0) {
      return ['allows no registry, so it would reject every pod. Fix: list at least one registry glob.'];
    }
    return globProblems('allowed', this.allowed);
  }
}

/** Validating: every image reference must carry a digest (`@sha256:…`). */
export class RequireDigest extends PolicyRule {
  readonly ruleType = 'requireDigest' as const;

  constructor(scope: Policy, id: string) {
    super(scope, id);
  }

  spec(): RuleSpec {
    return { type: 'requireDigest' };
  }
}

/** Validating: no image may use the `latest` tag or omit the tag (which means `latest`). */
export class DisallowLatestTag extends PolicyRule {
  readonly ruleType = 'disallowLatestTag' as const;

  constructor(scope: Policy, id: string) {
    super(scope, id);
  }

  spec(): RuleSpec {
    return { type: 'disallowLatestTag' };
  }
}
