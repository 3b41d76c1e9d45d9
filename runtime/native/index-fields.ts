/**
 * Exemption fields that hold indexes (`spec.containers[1].resources.limits`,
 * `spec.volumes[2].hostPath.path`, `volumeMounts[0].readOnly`), as CEL tests of the finding at
 * hand (compile.ts `ExemptionFinding.fieldCel`). Indexes are tested through names, which the API
 * server keeps unique: container names across all container lists of a pod, volume names among the
 * volumes; a mount is tested by equality with the mount at that index. Pure.
 */
import type { Target } from '../bundle';
import { re2Literal } from './cel-text';

/** An index as the engine writes it (no leading zeros). */
const INDEX = '(0|[1-9][0-9]{0,8})';
const CONTAINER_LISTS = '(initContainers|containers|ephemeralContainers)';

function specFieldOf(t: Target): string {
  return t.podSpecPath
    .slice(1)
    .split('/')
    .filter((s) => s !== '')
    .join('.');
}

/** CEL bool: `list[index]` exists and `test` holds for it (written with `it`). */
function at(list: string, index: string, test: (it: string) => string): string {
  return `(size(${list}) > ${index} ? ${test(`${list}[${index}]`)} : false)`;
}

/** CEL bool: the container named by the CEL string `name` is `<spec>.<kind>[index]`. */
function containerIs(kind: string, index: string, name: string): string {
  const list = `variables.spec.${kind}`;
  return `(has(${list}) ? ${at(list, index, (c) => `${c}.name == ${name}`)} : false)`;
}

/**
 * fieldCel for a container finding whose field relative to the container is `relative` (no index
 * in it): the full field `<spec>.<kind>[i].<relative>` names the container called `name`.
 */
export function containerFieldCel(relative: string, name: string): (field: string, t: Target) => string {
  return (field, t) => {
    const m = new RegExp(`^${re2Literal(specFieldOf(t))}\\.${CONTAINER_LISTS}\\[${INDEX}\\]\\.${re2Literal(relative)}$`).exec(field);
    return m === null ? 'false' : containerIs(m[1], m[2], name);
  };
}

/** fieldCel for a volume's `hostPath.path`: `<spec>.volumes[i].hostPath.path` names the volume called `name`. */
export function volumeFieldCel(name: string): (field: string, t: Target) => string {
  return (field, t) => {
    const m = new RegExp(`^${re2Literal(specFieldOf(t))}\\.volumes\\[${INDEX}\\]\\.hostPath\\.path$`).exec(field);
    if (m === null) return 'false';
    return `(has(variables.spec.volumes) ? ${at('variables.spec.volumes', m[1], (v) => `${v}.name == ${name}`)} : false)`;
  };
}

/**
 * fieldCel for a mount's `readOnly` (CEL `c` the container, `m` the mount): `volumeMounts[k].readOnly`
 * relative to the container, or `<spec>.<kind>[i].volumeMounts[k].readOnly`.
 */
export function mountFieldCel(container: string, mount: string): (field: string, t: Target) => string {
  return (field, t) => {
    const mountIs = (k: string): string => at(`${container}.volumeMounts`, k, (x) => `${x} == ${mount}`);
    const relative = new RegExp(`^volumeMounts\\[${INDEX}\\]\\.readOnly$`).exec(field);
    if (relative !== null) return mountIs(relative[1]);
    const full = new RegExp(`^${re2Literal(specFieldOf(t))}\\.${CONTAINER_LISTS}\\[${INDEX}\\]\\.volumeMounts\\[${INDEX}\\]\\.readOnly$`).exec(field);
    if (full === null) return 'false';
    return `(${containerIs(full[1], full[2], `${container}.name`)} && ${mountIs(full[3])})`;
  };
}
