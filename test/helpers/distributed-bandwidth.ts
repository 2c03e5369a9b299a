// All-reduce bandwidth against message size, as nccl-tests reports it (docs/distributed.md):
//   mpirun -np 2 node --import tsx test/helpers/distributed-bandwidth.ts
// For each size S: the mean time t of an in-place float32 sum all-reduce, algbw = S / t and
// busbw = algbw * 2 (n - 1) / n (what each link carries in a ring all-reduce over n ranks).
import { cpus } from 'node:os';
import { distributed } from '../../src/index.js';
import { nativeComm } from '../../src/distributed/comm.js';

const { rank, worldSize: n } = distributed.init();
const comm = nativeComm();
if (!comm || n < 2) throw new Error('run under mpirun with 2 or more ranks and an addon built with MPI');
if (rank === 0) {
  console.log(`all-reduce (float32 sum, in place), ${n} ranks, ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores)`);
  console.log('size        time (us)   algbw (GB/s)   busbw (GB/s)');
}
for (let bytes = 4 << 10; bytes <= 64 << 20; bytes *= 4) {
  const buf = new Float32Array(bytes / 4).fill(1);
  // The same count on every rank: about 256 MB moved per size, 5 to 500 calls.
  const iters = Math.min(500, Math.max(5, Math.round((256 << 20) / bytes)));
  for (let i = 0; i < 3; i++) comm.dist_allReduce(buf, buf.length, false);
  comm.dist_barrier();
  const t0 = performance.now();
  for (let i = 0; i < iters; i++) comm.dist_allReduce(buf, buf.length, false);
  const seconds = (performance.now() - t0) / 1000 / iters;
  const algbw = bytes / seconds / 1e9;
  const busbw = (algbw * 2 * (n - 1)) / n;
  const size = bytes >= 1 << 20 ? `${bytes >> 20} MB` : `${bytes >> 10} KB`;
  if (rank === 0) console.log(`${size.padEnd(10)}  ${(seconds * 1e6).toFixed(1).padStart(9)}   ${algbw.toFixed(2).padStart(12)}   ${busbw.toFixed(2).padStart(12)}`);
}
