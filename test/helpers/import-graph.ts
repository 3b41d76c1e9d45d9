/** The import graph of the TypeScript sources, read as text (what a module can load at run time). */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Static and dynamic import specifiers of a TypeScript file, `import type` excluded. */
export function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s+(?!type\b)[^'";]*?from\s+'([^']+)'/gm)) out.push(m[1]);
  for (const m of text.matchAll(/^\s*import\s+'([^']+)'/gm)) out.push(m[1]);
  for (const m of text.matchAll(/\b(?:import|require)\(\s*'([^']+)'\s*\)/g)) out.push(m[1]);
  return out;
}

/** The .ts file a relative specifier names, if any. */
export function resolveLocal(from: string, spec: string): string | undefined {
  const base = path.resolve(path.dirname(from), spec);
  for (const candidate of [`${base}.ts`, path.join(base, 'index.ts'), base]) {
    if (existsSync(candidate) && candidate.endsWith('.ts')) return candidate;
  }
  return undefined;
}

/** Every local module reachable from `entry` (relative to `root`), as paths relative to `root`. */
export function moduleGraph(root: string, entry: string): Set<string> {
  const seen = new Set<string>();
  const queue = [path.join(root, entry)];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of importsOf(file)) {
      if (!spec.startsWith('.')) continue;
      const target = resolveLocal(file, spec);
      if (target !== undefined) queue.push(target);
    }
  }
  return new Set([...seen].map((f) => path.relative(root, f)));
}
