/**
 * `/healthz` (the process is alive and its event loop answers) and `/readyz` (ready to admit: a
 * valid bundle is loaded and the server is not shutting down).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { BundleStore } from './bundle-state';

export interface HealthRoutesOptions {
  store: BundleStore;
  isDraining: () => boolean;
}

export const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = (app, { store, isDraining }) => {
  app.get('/healthz', () => ({ status: 'ok' }));
  app.get('/readyz', (_request, reply) => {
    const snapshot = store.current();
    if (isDraining()) return reply.code(503).send({ status: 'shutting-down' });
    if (snapshot === undefined) return reply.code(503).send({ status: 'no-valid-bundle' });
    return { status: 'ready', bundle: snapshot.loaded.hash };
  });
  return Promise.resolve();
};
