// Each collective on tensors, checked on every rank under mpirun by test/distributed.test.ts;
// a wrong value throws (and the rank's exit ends the job with a message naming it). With the
// argument `cuda`, on CUDA tensors (through NCCL or host memory, as the ranks agree).
// Usage: node --import tsx test/helpers/distributed-collectives.ts [cpu|cuda]
import { distributed, fromBuffer as hostBuffer, tensor as hostTensor, type Device, type Tensor } from '../../src/index.js';
import { allToAllBytes } from '../../src/distributed/collectives.js';

const device = (process.argv[2] ?? 'cpu') as Device;
const tensor = (values: number[] | number[][]): Tensor => hostTensor(values).to(device);
const fromBuffer = (values: Float32Array | Int32Array, shape: number[]): Tensor => hostBuffer(values, shape).to(device);
const { rank, worldSize: W } = distributed.init();
const path = distributed.cudaCollectivePath();
if (rank === 0) console.log(`CUDA tensors: ${path.path}${path.path === 'host' ? ` (${path.reason})` : ''}`);
const expect = (what: string, got: ArrayLike<number>, want: number[]): void => {
  const g = Array.from(got);
  if (g.length !== want.length || g.some((v, i) => Math.abs(v - want[i]) > 1e-6)) throw new Error(`${what} on rank ${rank}: got [${g}], expected [${want}]`);
};
const ranks = Array.from({ length: W }, (_, r) => r);
const sumOf = (f: (r: number) => number): number => ranks.reduce((s, r) => s + f(r), 0);

const x = tensor([rank + 1, 10 * (rank + 1), -rank]);
distributed.allReduce(x, 'sum');
expect('allReduce sum', x.data(), [sumOf((r) => r + 1), sumOf((r) => 10 * (r + 1)), -sumOf((r) => r)]);
const m = tensor([[rank, 2 * rank]]);
distributed.allReduce(m, 'mean');
expect('allReduce mean', m.data(), [sumOf((r) => r) / W, sumOf((r) => 2 * r) / W]);

const b = tensor([rank, rank + 0.5]);
distributed.broadcast(b, W - 1);
expect('broadcast float32', b.data(), [W - 1, W - 0.5]);
const bi = fromBuffer(Int32Array.from([rank * 7, 3]), [2]);
distributed.broadcast(bi, 0);
expect('broadcast int32', bi.data(), [0, 3]);

// Rank r contributes r + 1 rows of 2.
const rows = fromBuffer(Float32Array.from({ length: 2 * (rank + 1) }, (_, i) => 100 * rank + i), [rank + 1, 2]);
const g = distributed.allGather(rows);
expect('allGather shape', g.shape, [sumOf((r) => r + 1), 2]);
expect('allGather values', g.data(), ranks.flatMap((r) => Array.from({ length: 2 * (r + 1) }, (_, i) => 100 * r + i)));
const bytes = distributed.allGatherBytes(new TextEncoder().encode('r'.repeat(rank)));
expect('allGatherBytes sizes', bytes.map((p) => p.length), ranks);

// Rank p sends rank q (p * q + q) % 4 bytes of value 10p + q: uneven sizes, empty ones among them.
const payload = (p: number, q: number): number[] => new Array<number>((p * q + q) % 4).fill(10 * p + q);
const exchanged = allToAllBytes(ranks.map((q) => Uint8Array.from(payload(rank, q))));
expect('allToAll sizes', exchanged.map((b) => b.length), ranks.map((p) => payload(p, rank).length));
expect('allToAll values', exchanged.flatMap((b) => Array.from(b)), ranks.flatMap((p) => payload(p, rank)));
const none = allToAllBytes(ranks.map(() => new Uint8Array(0)));
expect('allToAll of nothing', none.map((b) => b.length), ranks.map(() => 0));

distributed.barrier();
if (rank === 0) console.log(`collectives ok on ${W} ranks (${device})`);
