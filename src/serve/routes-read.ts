// The read-only routes: POST /predict, GET /health, GET /model, GET /metrics.
import type { FastifyInstance } from 'fastify';
import { rowsOfBody } from './rows.js';
import type { ServerState } from './state.js';

export function readRoutes(app: FastifyInstance, state: ServerState): void {
  const limits = { maxRows: state.options.maxRowsPerRequest };

  app.post('/predict', async (req) => {
    const rows = rowsOfBody(req.body, limits);
    const predictions = await state.predict(rows);
    const models = new Set(predictions.map((p) => p.model));
    return models.size === 1 ? { model: predictions[0].model, arm: predictions[0].arm, predictions } : { predictions };
  });

  app.get('/health', async () => ({
    status: 'ok',
    models: Object.fromEntries([...state.arms].map(([name, arm]) => [name, arm.model.id])),
  }));

  app.get('/model', async () => {
    const arms = [...state.arms].map(([name, arm]) => ({ arm: name, weight: state.weights.get(name), ...arm.model.describe() }));
    return arms.length === 1 ? arms[0] : { splitKey: state.options.splitKey ?? null, arms };
  });

  app.get('/metrics', async (_req, reply) => {
    reply.type('text/plain; version=0.0.4; charset=utf-8');
    return state.metrics.render();
  });
}
