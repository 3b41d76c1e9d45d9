/**
 * What synth-time checks need to know about the app a construct lives in (runtime namespace, the
 * clock, trusted-root names), without every construct importing the app class.
 */
import type { IConstruct } from 'constructs';
import { ALWAYS_EXCLUDED_NAMESPACES } from '../runtime/bundle';
import { synthNow } from './synth-clock';

export interface AppContext {
  readonly runtimeNamespace: string;
  /** The clock exemption expiry is checked against. */
  now(): Date;
  readonly trustedRootNames: readonly string[];
}

const KEY = Symbol.for('portcullis.dev/app-context');

const DEFAULT_CONTEXT: AppContext = {
  runtimeNamespace: 'portcullis-system',
  now: () => synthNow(),
  trustedRootNames: [],
};

export function setAppContext(root: IConstruct, ctx: AppContext): void {
  Object.defineProperty(root, KEY, { value: ctx, enumerable: false, configurable: true });
}

export function appContext(c: IConstruct): AppContext {
  const root = c.node.root as unknown as Record<symbol, AppContext | undefined>;
  return root[KEY] ?? DEFAULT_CONTEXT;
}

/** Namespaces admission never evaluates: the Kubernetes system namespaces and the runtime's own. */
export function neverEvaluatedNamespaces(ctx: AppContext): string[] {
  return [...new Set<string>([...ALWAYS_EXCLUDED_NAMESPACES, ctx.runtimeNamespace])].sort();
}
