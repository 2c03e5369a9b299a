// Errors a client caused: an HTTP status, a short machine-readable kind (counted in
// /metrics) and a message naming the problem.

export class ServeError extends Error {
  constructor(
    readonly status: number,
    readonly kind: string,
    message: string,
  ) {
    super(message);
    this.name = 'ServeError';
  }
}

export const badRequest = (kind: string, message: string): ServeError => new ServeError(400, kind, message);
