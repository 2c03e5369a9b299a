// Server options and their defaults.
export interface ServeOptions {
  /** Port to listen on (default 8080; 0 picks a free one). */
  port?: number;
  /** Address to bind (default 127.0.0.1: reachable from this machine only). */
  host?: string;
  /** Micro-batch window in milliseconds (default 1). */
  batchWindowMs?: number;
  /** A batch runs as soon as it holds this many rows (default 256). */
  maxBatchRows?: number;
  /** Most rows in one request (default 1024; more is a 413). */
  maxRowsPerRequest?: number;
  /** Largest request body in bytes (default 1 MiB; more is a 413). */
  bodyLimit?: number;
  /** Bearer token guarding /feedback and /admin/* (default: TRUNKLINE_TOKEN). */
  token?: string;
  /** Without a token, open /feedback and /admin/* to anyone who can reach the port (default false: they are off). */
  allowUnauthenticatedWrites?: boolean;
  /** Where POST /feedback appends its JSON-lines log; without it /feedback is off. */
  feedbackDir?: string;
  /** A/B weights, `a=0.9,b=0.1` (default: equal). */
  split?: string;
  /** The row column whose value picks the A/B arm (stable per key). */
  splitKey?: string;
  /** Fastify's request log (default false). */
  logger?: boolean;
}

export type ResolvedOptions = Required<Omit<ServeOptions, 'token' | 'feedbackDir' | 'split' | 'splitKey'>> & Pick<ServeOptions, 'token' | 'feedbackDir' | 'split' | 'splitKey'>;

export function resolveOptions(o: ServeOptions): ResolvedOptions {
  const positiveInt = (v: number | undefined, name: string, d: number): number => {
    if (v === undefined) return d;
    if (!Number.isInteger(v) || v < 1) throw new Error(`serve: ${name} must be a positive integer, got ${v}`);
    return v;
  };
  const windowMs = o.batchWindowMs ?? 1;
  if (!(Number.isFinite(windowMs) && windowMs >= 0)) throw new Error(`serve: batchWindowMs must be a number >= 0, got ${windowMs}`);
  const port = o.port ?? 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`serve: port must be 0..65535, got ${port}`);
  const token = o.token ?? (process.env.TRUNKLINE_TOKEN || undefined);
  return {
    port,
    host: o.host ?? '127.0.0.1',
    batchWindowMs: windowMs,
    maxBatchRows: positiveInt(o.maxBatchRows, 'maxBatchRows', 256),
    maxRowsPerRequest: positiveInt(o.maxRowsPerRequest, 'maxRowsPerRequest', 1024),
    bodyLimit: positiveInt(o.bodyLimit, 'bodyLimit', 1 << 20),
    token,
    allowUnauthenticatedWrites: o.allowUnauthenticatedWrites ?? false,
    feedbackDir: o.feedbackDir,
    split: o.split,
    splitKey: o.splitKey,
    logger: o.logger ?? false,
  };
}
