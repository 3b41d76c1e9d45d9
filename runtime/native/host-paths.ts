/**
 * hostPaths as CEL (runtime/engine/rules/host-paths.ts): every hostPath volume's path must equal an
 * allowed prefix or lie below it on a segment boundary; a path admitted only by read-only prefixes
 * must be mounted `readOnly: true` by every container that mounts it.
 *
 * Input domain (compile.ts): the API server refuses an empty hostPath or one with a `..` segment,
 * so the engine's normalization (runtime/engine/host-path.ts) reduces to dropping empty and `.`
 * segments, as for denyRuntimeSocket; the prefixes of the rule are normalized here with the
 * engine's own function. Volume and mount names are strings, `readOnly` a bool, and mount paths are
 * unique within a container, so a mount's index is `volumeMounts.indexOf(mount)` (Kubernetes lists
 * library). The 4096 limit and the 120-character display count code points in CEL and UTF-16 units
 * in the engine (the README's caveat).
 *
 * Lines: one volume can give several findings (one per writable mount, in container order), and
 * CEL in Kubernetes 1.30 has no flatten: each volume gives its lines joined with ` | ` (the join the
 * validation's message uses), and volumes without findings give "" and are dropped. Only emptiness
 * of the rule's list decides the verdict, so the message is the same text.
 *
 * Exemption fields with indexes (`spec.volumes[2].hostPath.path`, `volumeMounts[0].readOnly`,
 * `spec.containers[1].volumeMounts[0].readOnly`) are tested through names (index-fields.ts).
 * Not compiled: when a prefix is read-only, an exemption narrowing by image.
 */
import type { HostPathsRule } from '../bundle';
import { normalizeHostPath } from '../engine/host-path';
import { celString } from './cel-text';
import { lineCelDynamic } from './dynamic-line';
import { lineCel, type FamilyCompiler } from './families';
import { mountFieldCel, volumeFieldCel } from './index-fields';

const CONTROL = 'hostPaths';

/** showValue of runtime/engine/own-fields.ts for a string (code points; see the README's caveat). */
function showString(v: string): string {
  return `(size(${v}) > 120 ? ${v}.substring(0, 120) + "…" : ${v})`;
}

/** `allowed` of the engine's findings for a path (describeAllowed). */
export function describeAllowed(rule: HostPathsRule): string {
  if (rule.allowed.length === 0) return 'no hostPath volumes';
  return rule.allowed.map((a) => `${a.pathPrefix}${a.readOnly ? ' (read-only)' : ''}`).join(', ');
}

/** isPathWithin(path, prefix) of host-path.ts for a normalized CEL string `path` and a normalized prefix. */
export function withinCel(path: string, prefix: string): string {
  if (prefix === '/') return 'true';
  return `(${path} == ${celString(prefix)} || ${path}.startsWith(${celString(`${prefix}/`)}))`;
}

function anyOf(parts: readonly string[]): string {
  return parts.length === 0 ? 'false' : parts.join(' || ');
}

export const hostPaths: FamilyCompiler = (r, ctx) => {
  const rule = r as HostPathsRule;
  const allowed = describeAllowed(rule);
  const prefixes = rule.allowed.flatMap((a) => {
    const p = normalizeHostPath(a.pathPrefix);
    return p === undefined ? [] : [{ prefix: p, readOnly: a.readOnly }];
  });
  // y: [name, path as written, normalized path or "" when not an absolute path]
  const writable = anyOf(prefixes.filter((p) => !p.readOnly).map((p) => withinCel('y[2]', p.prefix)));
  const readOnly = anyOf(prefixes.filter((p) => p.readOnly).map((p) => withinCel('y[2]', p.prefix)));

  const pathExempt = ctx.exemption(CONTROL, { value: '(y[2] == "" ? y[1] : y[2])', fields: () => ['hostPath.path'], fieldCel: volumeFieldCel('y[0]') });
  if (typeof pathExempt !== 'string') return pathExempt;
  const shown = `(y[2] != "" && y[2] != y[1] ? ${showString('y[1]')} + " (normalized " + y[2] + ")" : ${showString('y[1]')})`;
  const why = '(y[2] == "" ? "it is not an absolute path" : "it is outside the allowed host paths")';
  const pathLine = lineCel(ctx.policy, ctx.ruleName, CONTROL, allowed, `(${celString('volume "')} + y[0] + ${celString('" hostPath.path=')} + ${shown} + " is not allowed: " + ${why})`);
  const pathText = pathExempt === 'true' ? '""' : pathExempt === 'false' ? pathLine : `(${pathExempt} ? "" : ${pathLine})`;

  let mountText = '""';
  if (prefixes.some((p) => p.readOnly)) {
    const mountExempt = ctx.exemption(CONTROL, { value: 'y[2]', image: 'string(c.?image.orValue(""))', fields: () => ['volumeMounts.readOnly'], fieldCel: mountFieldCel('c', 'm') });
    if (typeof mountExempt !== 'string') return mountExempt;
    const text =
      `${celString('container "')} + c.name + ${celString('" mounts hostPath volume "')} + y[0] + ${celString('" (')} + y[2] + ") writable: volumeMounts[" + ` +
      `string(c.volumeMounts.indexOf(m)) + "].readOnly=false is not allowed"`;
    const line = lineCelDynamic(ctx.policy, ctx.ruleName, CONTROL, '"readOnly: true (" + y[2] + " is allowed read-only only)"', `(${text})`);
    if (mountExempt !== 'true') {
      const mounts =
        `(has(c.volumeMounts) ? c.volumeMounts : []).filter(m, has(m.name) && m.name == y[0] && !(has(m.readOnly) && m.readOnly == true))` +
        `${mountExempt === 'false' ? '' : `.filter(m, !(${mountExempt}))`}.map(m, ${line}).join(" | ")`;
      mountText = `variables.containers.map(c, ${mounts}).filter(s1, s1 != "").join(" | ")`;
    }
  }
  const perVolume = `(y[2] == "" || !(${writable} || ${readOnly}) ? ${pathText} : ${writable} ? "" : ${mountText})`;
  const volumes =
    `(has(variables.spec.volumes) ? variables.spec.volumes : []).filter(v, has(v.hostPath))` +
    `.map(v, [has(v.name) ? string(v.name) : "", has(v.hostPath.path) ? string(v.hostPath.path) : ""])` +
    `.map(x, [x[0], x[1], size(x[1]) > 0 && size(x[1]) <= 4096 && x[1].startsWith("/") && !x[1].contains("\\u0000") ? "/" + x[1].split("/").filter(s, s != "" && s != ".").join("/") : ""])`;
  return `${volumes}.map(y, ${perVolume}).filter(s2, s2 != "")`;
};
