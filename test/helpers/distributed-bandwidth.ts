// All-reduce bandwidth against message size, as nccl-tests reports it (docs/distributed.md):
//   mpirun -np 2 node --import tsx test/helpers/distributed-bandwidth.ts [cpu|cuda]
// For each size S: the mean time t of an in-place float32 sum all-reduce, algbw = S / t and
// busbw = algbw * 2 (n - 1) / n (what each link carries in a ring all-reduce over n ranks).
// With `cuda`, a CUDA tensor: through NCCL where the ranks agree on it, else through host
// memory; the stream is drained before each clock reading.
import { cpus } from 'node:os';
import { cuda, distributed, zeros, type Device } from '../../src/index.js';
import { nativeComm } from '../../src/distributed/comm.js';

const device = (process.argv[2] ?? 'cpu') as Device;
const { rank, worldSize: n } = distributed.init();
if (!nativeComm() || n < 2) throw new Error('run under mpirun with 2 or more ranks and an addon built with MPI');
const path = device === 'cuda' ? distributed.cudaCollectivePath() : null;
if (rank === 0) {
  const where = device === 'cuda' ? `${cuda.deviceName()}, ${path!.path === 'nccl' ? 'NCCL' : `host memory: ${path!.reason}`}` : `${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores)`;
  console.log(`all-reduce (float32 sum, in place), ${n} ranks, ${device}: ${where}`);
  console.log('size        time (us)   algbw (GB/s)   busbw (GB/s)');
}
const drain = (): void => (device === 'cuda' ? cuda.synchronize() : undefined);
for (let bytes = 4 << 10; bytes <= 64 << 20; bytes *= 4) {
  const buf = zeros([bytes / 4], { device });
  // The same count on every rank: about 256 MB moved per size, 5 to 500 calls.
  const iters = Math.min(500, Math.max(5, Math.round((256 << 20) / bytes)));
  for (let i = 0; i < 3; i++) distributed.allReduce(buf, 'sum');
  drain();
  distributed.barrier();
  const t0 = performance.now();
  for (let i = 0; i < iters; i++) distributed.allReduce(buf, 'sum');
  drain();
  const seconds = (performance.now() - t0) / 1000 / iters;
  buf.dispose();
  const algbw = bytes / seconds / 1e9;
  const busbw = (algbw * 2 * (n - 1)) / n;
  const size = bytes >= 1 << 20 ? `${bytes >> 20} MB` : `${bytes >> 10} KB`;
  if (rank === 0) console.log(`${size.padEnd(10)}  ${(seconds * 1e6).toFixed(1).padStart(9)}   ${algbw.toFixed(2).padStart(12)}   ${busbw.toFixed(2).padStart(12)}`);
}
