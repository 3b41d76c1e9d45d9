/** `/metrics`: the server's Prometheus registry in the text exposition format. */
import type { FastifyPluginAsync } from 'fastify';
import type { ServerMetrics } from './metrics';

export const metricsRoute: FastifyPluginAsync<{ metrics: ServerMetrics }> = (app, { metrics }) => {
  app.get('/metrics', async (_request, reply) => {
    const { contentType, body } = await metrics.render();
    return reply.type(contentType).send(body);
  });
  return Promise.resolve();
};
