// `trunkline serve` as a library: buildServer() assembles the fastify app (routes, error
// answers, metrics hooks) without listening; serve() also listens and returns it. fastify
// is imported on first use, so `import 'trunkline'` does not pay for it.
import type { FastifyError, FastifyInstance } from 'fastify';
import { parseModelSpecs, type ArmSpec } from './ab.js';
import { ServeError } from './errors.js';
import { resolveOptions, type ServeOptions } from './options.js';
import { readRoutes } from './routes-read.js';
import { writeRoutes } from './routes-write.js';
import { ServerState } from './state.js';

declare module 'fastify' {
  interface FastifyInstance {
    trunkline: ServerState;
  }
}

/** A run directory, several `name=dir` specs, or arms. */
export type ModelSource = string | readonly string[] | readonly ArmSpec[];

function armSpecs(models: ModelSource): ArmSpec[] {
  if (typeof models === 'string') return parseModelSpecs([models]);
  if (models.length && typeof models[0] === 'object') return [...(models as readonly ArmSpec[])];
  return parseModelSpecs(models as readonly string[]);
}

export async function buildServer(models: ModelSource, options: ServeOptions = {}): Promise<FastifyInstance> {
  const opts = resolveOptions(options);
  const state = new ServerState(armSpecs(models), opts);
  const { default: Fastify } = await import('fastify');
  const app = Fastify({ logger: opts.logger, bodyLimit: opts.bodyLimit, forceCloseConnections: true });
  app.decorate('trunkline', state);
  const { metrics } = state;

  // Requests that bring rows to a batch, counted from their headers to their reply.
  const batched = new Set(['/predict', '/feedback']);
  const counted = new WeakSet<object>();
  const release = (req: object) => {
    if (counted.delete(req)) state.inFlight--;
  };
  app.addHook('onRequest', async (req) => {
    if (batched.has(req.routeOptions.url ?? '')) {
      counted.add(req);
      state.inFlight++;
    }
  });
  app.addHook('onRequestAbort', async (req) => release(req));
  app.addHook('onResponse', async (req, reply) => {
    release(req);
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ route, status: String(reply.statusCode) });
    metrics.latency.observe({ route }, reply.elapsedTime / 1000);
  });

  app.setErrorHandler((err: FastifyError | ServeError | Error, req, reply) => {
    let status: number;
    let kind: string;
    if (err instanceof ServeError) {
      status = err.status;
      kind = err.kind;
    } else if ('statusCode' in err && typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      // fastify's own: malformed JSON, body too large, unsupported media type.
      status = err.statusCode;
      kind = fastifyKind(err as FastifyError);
    } else {
      status = 500;
      kind = 'internal';
      req.log.error(err);
    }
    metrics.errors.inc({ kind });
    reply.code(status).send({ error: kind, message: clientMessage(kind, err.message, opts.bodyLimit) });
  });

  app.setNotFoundHandler((req, reply) => {
    metrics.errors.inc({ kind: 'not_found' });
    reply.code(404).send({ error: 'not_found', message: `no route ${req.method} ${req.url} (routes: POST /predict, POST /feedback, POST /admin/reload, GET /health, GET /model, GET /metrics)` });
  });

  readRoutes(app, state);
  writeRoutes(app, state);
  app.addHook('onClose', async () => {
    await state.feedback?.close();
  });
  return app;
}

function fastifyKind(err: FastifyError): string {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'body_too_large';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'unsupported_media_type';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'empty_body';
    default:
      return err instanceof SyntaxError || /JSON/i.test(err.message) ? 'malformed_json' : (err.code ?? 'bad_request').toLowerCase();
  }
}

function clientMessage(kind: string, message: string, bodyLimit: number): string {
  if (kind === 'body_too_large') return `the body is over the limit of ${bodyLimit} bytes (send fewer rows per request)`;
  if (kind === 'unsupported_media_type') return `${message}: send JSON with the header 'content-type: application/json'`;
  if (kind === 'malformed_json') return `the body is not valid JSON: ${message}`;
  return message;
}

/** Loads the model(s), listens (127.0.0.1:8080 unless told otherwise) and returns the fastify instance. */
export async function serve(models: ModelSource, options: ServeOptions = {}): Promise<FastifyInstance> {
  const opts = resolveOptions(options);
  const app = await buildServer(models, options);
  await app.listen({ port: opts.port, host: opts.host });
  return app;
}
