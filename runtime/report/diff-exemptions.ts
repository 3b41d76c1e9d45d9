/** Exemption changes within a policy: added, removed, widened, narrowed, expired. */
import { canonicalJson, type Exemption, type ExemptionControl, type Policy } from '../bundle';
import { describeExemption, formatSelector } from './describe';
import { byName, setDiff, sortedUnion } from './diff-helpers';
import type { DiffOptions, Emit } from './diff-model';
import { code, codeList, type Segment, type Sentence } from './sentence';

function X(p: Policy, e: Exemption): Segment[] {
  return ['Exemption ', code(e.name), ' of policy ', code(p.name)];
}

function expired(e: Exemption, now: Date): boolean {
  return e.expiresAt !== undefined && Date.parse(e.expiresAt) <= now.getTime();
}

export function exemptionAdded(p: Policy, e: Exemption, emit: Emit, options: DiffOptions): void {
  const dead = expired(e, options.now);
  emit('exemption-added', dead ? 'neutral' : 'looser', [...X(p, e), ' is added: it ', ...describeExemption(e), dead ? '. It has already expired and relieves nothing.' : '.'], {
    exemption: e.name,
  });
}

export function diffExemptions(o: Policy, n: Policy, emit: Emit, options: DiffOptions): void {
  const oe = byName(o.exemptions);
  const ne = byName(n.exemptions);
  for (const name of sortedUnion(oe.keys(), ne.keys())) {
    const a = oe.get(name);
    const b = ne.get(name);
    const ee: Emit = (kind, direction, sentence, where) => emit(kind, direction, sentence, { exemption: name, ...where });
    if (a === undefined && b !== undefined) exemptionAdded(n, b, ee, options);
    else if (a !== undefined && b === undefined) {
      ee('exemption-removed', expired(a, options.now) ? 'neutral' : 'stricter', [...X(n, a), ' is removed: what it relieved is checked again.']);
    } else if (a !== undefined && b !== undefined) {
      diffExemption(n, a, b, ee, options);
      if (expired(b, options.now)) {
        ee('exemption-expired', 'neutral', [
          ...X(n, b),
          ` expired on ${b.expiresAt ?? ''}: it no longer relieves anything; renew or remove it.`,
        ]);
      }
    }
  }
}

function diffExemption(p: Policy, a: Exemption, b: Exemption, emit: Emit, options: DiffOptions): void {
  const x = X(p, b);
  const widened = (s: Sentence) => emit('exemption-widened', 'looser', s);
  const narrowed = (s: Sentence) => emit('exemption-narrowed', 'stricter', s);
  if (a.controls.length > 0 && b.controls.length === 0) widened([...x, ' now relieves the whole policy (it relieved only some controls).']);
  else if (a.controls.length === 0 && b.controls.length > 0) narrowed([...x, ' now relieves only ', ...codeList(b.controls.map((c) => c.control)), ' (it relieved the whole policy).']);
  else {
    const ac = controlsByName(a.controls);
    const bc = controlsByName(b.controls);
    for (const control of sortedUnion(ac.keys(), bc.keys())) {
      const c1 = ac.get(control);
      const c2 = bc.get(control);
      if (c1 === undefined && c2 !== undefined) widened([...x, ' now also relieves ', code(control), '.']);
      else if (c1 !== undefined && c2 === undefined) narrowed([...x, ' no longer relieves ', code(control), '.']);
      else if (c1 !== undefined && c2 !== undefined) {
        const cx: Segment[] = [...x, ', control ', code(control), ', '];
        optionalList(c1.images, c2.images, 'images', cx, widened, narrowed);
        optionalList(c1.values, c2.values, `${c2.field ?? c1.field ?? 'field'} values`, cx, widened, narrowed);
        if (c1.field !== c2.field) {
          emit('exemption-changed', 'neutral', [...x, ', control ', code(control), ', now names field ', code(c2.field ?? '(any)'), ' instead of ', code(c1.field ?? '(any)'), '.']);
        }
      }
    }
  }
  optionalList(a.namespaces, b.namespaces, 'namespaces', [...x, ' '], widened, narrowed);
  for (const [field, what] of [
    ['namespaceSelector', 'namespaces'],
    ['objectSelector', 'objects'],
  ] as const) {
    const s1 = a[field];
    const s2 = b[field];
    if (canonicalJson(s1 ?? null) === canonicalJson(s2 ?? null)) continue;
    if (s2 === undefined) widened([...x, ` no longer limits ${what} by selector `, code(formatSelector(s1)), '.']);
    else if (s1 === undefined) narrowed([...x, ` now applies only to ${what} selected by `, code(formatSelector(s2)), '.']);
    else {
      emit('exemption-changed', 'neutral', [...x, ` now applies to ${what} selected by `, code(formatSelector(s2)), ' instead of ', code(formatSelector(s1)), '.']);
    }
  }
  if (a.expiresAt !== b.expiresAt) {
    const t1 = a.expiresAt === undefined ? Infinity : Date.parse(a.expiresAt);
    const t2 = b.expiresAt === undefined ? Infinity : Date.parse(b.expiresAt);
    const renewed = expired(a, options.now) && !expired(b, options.now);
    if (b.expiresAt === undefined) widened([...x, ` no longer expires (it was set to expire ${a.expiresAt ?? ''}).`]);
    else if (a.expiresAt === undefined) narrowed([...x, ` now expires ${b.expiresAt} (it had no expiry).`]);
    else if (t2 > t1) widened([...x, renewed ? ` is renewed until ${b.expiresAt} (it expired ${a.expiresAt}).` : ` is extended until ${b.expiresAt} (was ${a.expiresAt}).`]);
    else narrowed([...x, ` now expires earlier, ${b.expiresAt} (was ${a.expiresAt}).`]);
  }
  if (a.owner !== b.owner) emit('exemption-changed', 'neutral', [...x, ' changes owner from ', code(a.owner), ' to ', code(b.owner), '.']);
  if (a.reason !== b.reason) emit('exemption-changed', 'neutral', [...x, ' changes its reason to ', code(b.reason), '.']);
}

function controlsByName(controls: readonly ExemptionControl[]): Map<string, ExemptionControl> {
  const out = new Map<string, ExemptionControl>();
  for (const c of controls) {
    const prev = out.get(c.control);
    out.set(
      c.control,
      prev === undefined
        ? c
        : {
            ...prev,
            images: prev.images === undefined || c.images === undefined ? undefined : [...prev.images, ...c.images],
            values: prev.values === undefined || c.values === undefined ? undefined : [...prev.values, ...c.values],
          },
    );
  }
  return out;
}

/** Compare lists where "absent" means "all": absent after present widens, present after absent narrows. */
function optionalList(
  a: readonly string[] | undefined,
  b: readonly string[] | undefined,
  what: string,
  prefix: Segment[],
  widened: (s: Sentence) => void,
  narrowed: (s: Sentence) => void,
): void {
  if (a === undefined && b === undefined) return;
  if (b === undefined) return widened([...prefix, `now covers all ${what} (it covered only `, ...codeList(a ?? []), ').']);
  if (a === undefined) return narrowed([...prefix, `now covers only the ${what} `, ...codeList(b), '.']);
  const [added, removed] = setDiff(a, b);
  if (added.length > 0) widened([...prefix, `now also covers the ${what} `, ...codeList(added), '.']);
  if (removed.length > 0) narrowed([...prefix, `no longer covers the ${what} `, ...codeList(removed), '.']);
}
