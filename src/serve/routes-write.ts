// The write routes, behind the bearer token: POST /feedback (labelled rows to the log)
// and POST /admin/reload (hot swap of an arm's model).
import { basename } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { checkWriteAccess } from './auth.js';
import { badRequest, ServeError } from './errors.js';
import { feedbackLabels, type LoggedLabels } from './feedback-labels.js';
import type { FeedbackEntry } from './feedback-read.js';
import { ServedModel } from './model.js';
import { rowsOfBody } from './rows.js';
import type { ServerState } from './state.js';

export function writeRoutes(app: FastifyInstance, state: ServerState): void {
  const { token, allowUnauthenticatedWrites } = state.options;
  const limits = { maxRows: state.options.maxRowsPerRequest };

  app.post('/feedback', async (req) => {
    checkWriteAccess(req, token, allowUnauthenticatedWrites);
    const log = state.feedback;
    if (!log) throw new ServeError(404, 'feedback_off', '/feedback is off: start the server with --feedback-dir <dir>');
    const rows = rowsOfBody(req.body, limits);
    // Each row is scored by the arm that serves its key, and logged with that model's id.
    const answers = await state.predict(rows);
    const labels = labelRows(rows, answers.map((a) => state.arm(a.arm).model));
    const time = new Date().toISOString();
    const entries: FeedbackEntry[] = rows.map((row, i) => ({ time, model: answers[i].model, arm: answers[i].arm, row, labels: labels[i], prediction: answers[i].tasks }));
    await log.append(entries);
    for (const e of entries) state.metrics.feedbackRows.inc({ arm: e.arm, model: e.model });
    return { written: entries.length, file: basename(log.currentFile()), models: [...new Set(entries.map((e) => e.model))] };
  });

  app.post('/admin/reload', async (req) => {
    checkWriteAccess(req, token, allowUnauthenticatedWrites);
    const body = req.body as Record<string, unknown> | null;
    if (!body || typeof body !== 'object' || typeof body.model !== 'string' || !body.model)
      throw badRequest('no_model_dir', 'the body must be {"model": "<run directory>"} (and "arm": "<name>" when serving several)');
    const armName = typeof body.arm === 'string' ? body.arm : state.arms.size === 1 ? [...state.arms.keys()][0] : undefined;
    if (armName === undefined) throw badRequest('no_arm', `several arms are served (${[...state.arms.keys()].join(', ')}): name one with "arm"`);
    const arm = state.arms.get(armName);
    if (!arm) throw new ServeError(404, 'unknown_arm', `no arm named '${armName}' (arms: ${[...state.arms.keys()].join(', ')})`);
    let next: ServedModel;
    try {
      next = ServedModel.load(body.model);
    } catch (e) {
      state.metrics.reloads.inc({ arm: armName, result: 'failed' });
      throw new ServeError(422, 'load_failed', `${(e as Error).message}; still serving ${arm.model.id}`);
    }
    const previous = arm.swap(next);
    state.metrics.reloads.inc({ arm: armName, result: 'ok' });
    return { arm: armName, model: next.id, previous: previous.id, loadedAt: next.loadedAt.toISOString() };
  });
}

/** Labels per row, read with the label encoders of the row's arm. */
function labelRows(rows: readonly Record<string, unknown>[], models: readonly ServedModel[]): LoggedLabels[] {
  const out: LoggedLabels[] = new Array(rows.length);
  const groups = new Map<ServedModel, number[]>();
  models.forEach((m, i) => {
    const g = groups.get(m);
    if (g) g.push(i);
    else groups.set(m, [i]);
  });
  for (const [m, idx] of groups) {
    const labels = feedbackLabels(
      idx.map((i) => rows[i]),
      m.pipeline,
    );
    idx.forEach((i, j) => (out[i] = labels[j]));
  }
  return out;
}
