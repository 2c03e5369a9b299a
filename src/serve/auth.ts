// The write routes (/feedback, /admin/*): a bearer token when one is set; without one
// they are off unless the server was started with allowUnauthenticatedWrites.
import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ServeError } from './errors.js';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

export function checkWriteAccess(req: FastifyRequest, token: string | undefined, allowUnauthenticated: boolean): void {
  if (token === undefined) {
    if (allowUnauthenticated) return;
    throw new ServeError(403, 'writes_off', `${req.url} is off: start the server with --token (or TRUNKLINE_TOKEN), or --allow-unauthenticated-writes`);
  }
  const header = req.headers.authorization ?? '';
  const m = /^Bearer\s+(.+)$/i.exec(header);
  // Compare digests so the time taken says nothing about the token.
  if (!m || !timingSafeEqual(digest(m[1].trim()), digest(token)))
    throw new ServeError(401, 'unauthorized', `${req.url} needs the header 'Authorization: Bearer <token>'${m ? ' (the token does not match)' : ''}`);
}
