// Algorithms that exchange data between the parts of a data set are written once, as
// generators that yield each collective they need, and run two ways: on the ranks of an
// MPI job, each process holding one part (runOnRanks, synchronous like every collective),
// or on several parts in one process, stepped together (runInProcess), which is how tests
// check that the parts together give the one-process answer for any number of parts.
import { activeComm } from './world.js';
import { allGatherBytes, allToAllBytes } from './collectives.js';

export type Collective = { kind: 'allGather'; bytes: Uint8Array } | { kind: 'allToAll'; parts: Uint8Array[] };

/** An algorithm over parts: yields collectives, is resumed with their results, returns T. */
export type Exchange<T> = Generator<Collective, T, Uint8Array[]>;

/** Which part this is, of how many. */
export interface PartOf {
  rank: number;
  size: number;
}

/** Every part's bytes, in part order. */
export function* allGather(bytes: Uint8Array): Exchange<Uint8Array[]> {
  return yield { kind: 'allGather', bytes };
}

/** parts[q] goes to part q; returns what each part sent this one, in part order. */
export function* allToAll(parts: Uint8Array[]): Exchange<Uint8Array[]> {
  return yield { kind: 'allToAll', parts };
}

const encoder = new TextEncoder(), decoder = new TextDecoder();

/** Every part's value, through JSON, in part order. */
export function* gatherJson<T>(value: T): Exchange<T[]> {
  return (yield* allGather(encoder.encode(JSON.stringify(value)))).map((b) => JSON.parse(decoder.decode(b)) as T);
}

const bytesOf = (a: Float64Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
// Received bytes may sit at any offset of a larger buffer: copied to be read as float64.
const float64Of = (b: Uint8Array): Float64Array => new Float64Array(b.slice().buffer);

/** As allToAll, of float64 values. */
export function* allToAllF64(parts: Float64Array[]): Exchange<Float64Array[]> {
  return (yield* allToAll(parts.map(bytesOf))).map(float64Of);
}

/** As allGather, of float64 values. */
export function* allGatherF64(values: Float64Array): Exchange<Float64Array[]> {
  return (yield* allGather(bytesOf(values))).map(float64Of);
}

export interface Ran<T> {
  value: T;
  /** Bytes this part received from the others (not counting what it sent itself). */
  bytesReceived: number;
}

const fromOthers = (received: readonly Uint8Array[], self: number): number => received.reduce((n, b, r) => n + (r === self ? 0 : b.length), 0);

/** Runs the exchange on this rank with the job's communicator (in one process: a world of one). Collective. */
export function runOnRanks<T>(exchange: Exchange<T>): Ran<T> {
  const comm = activeComm();
  const self = comm ? comm.dist_rank() : 0;
  let bytesReceived = 0;
  let step = exchange.next();
  while (!step.done) {
    const c = step.value;
    const received = c.kind === 'allGather' ? allGatherBytes(c.bytes) : allToAllBytes(c.parts);
    bytesReceived += fromOthers(received, self);
    step = exchange.next(received);
  }
  return { value: step.value, bytesReceived };
}

/** Runs one exchange per part in this process, every part stepping to each collective together. */
export function runInProcess<T>(exchanges: readonly Exchange<T>[]): Ran<T>[] {
  const n = exchanges.length;
  const bytesReceived = new Array<number>(n).fill(0);
  let steps = exchanges.map((e) => e.next());
  while (steps.some((s) => !s.done)) {
    const calls = steps.map((s, p) => {
      if (s.done) throw new Error(`runInProcess: part ${p} finished while another waits in a collective`);
      return s.value;
    });
    const kind = calls[0].kind;
    if (calls.some((c) => c.kind !== kind)) throw new Error(`runInProcess: the parts called different collectives (${calls.map((c) => c.kind).join(', ')})`);
    // Copies, so that no part reads another's buffers.
    const received = calls.map((_, q) =>
      calls.map((c, p) => {
        if (c.kind === 'allGather') return c.bytes.slice();
        if (c.parts.length !== n) throw new Error(`runInProcess: part ${p} gave ${c.parts.length} parts for ${n}`);
        return c.parts[q].slice();
      }),
    );
    received.forEach((r, p) => (bytesReceived[p] += fromOthers(r, p)));
    steps = exchanges.map((e, p) => e.next(received[p]));
  }
  return steps.map((s, p) => ({ value: s.value as T, bytesReceived: bytesReceived[p] }));
}
