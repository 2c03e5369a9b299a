// Data-parallel training over MPI. Always: the one-process world (no launcher), where every
// collective is a no-op and distributed: true trains exactly as without. With mpirun and an
// addon built with MPI: the collectives on 2 and 3 ranks, 2 ranks at batch B against one
// process at batch 2B on the same rows, and a failing rank ending the job. Without them
// those tests are registered as skipped, with the reason printed.
import test, { type ExecutionContext } from 'ava';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { distributed, manualSeed, mtl, tensor } from '../src/index.js';
import { allToAllBytes } from '../src/distributed/collectives.js';
import { nativePath } from '../src/native.js';
import { sharedSignal } from './helpers/mtl-synthetic.js';
import { tempDir } from './helpers/tmp.js';
import { launch, mpiTest, skipReason } from './helpers/distributed-launch.js';
import { GPU, NO_GPU_REASON } from './helpers/devices.js';

const ROOT = join(import.meta.dirname, '..');

// ---- the one-process world -------------------------------------------------------------

test.serial('outside a launcher the world is one process and every collective is a no-op', (t) => {
  t.is(distributed.launcherWorld({}), null);
  t.deepEqual(distributed.init(), { rank: 0, worldSize: 1 });
  t.is(distributed.rank(), 0);
  t.is(distributed.worldSize(), 1);
  t.false(distributed.isDistributed());
  const x = tensor([1, 2, 3]);
  t.is(distributed.allReduce(x, 'sum'), x);
  t.deepEqual(Array.from(distributed.allReduce(x, 'mean').data()), [1, 2, 3]);
  t.deepEqual(Array.from(distributed.broadcast(x, 0).data()), [1, 2, 3]);
  t.deepEqual(Array.from(distributed.allGather(x).data()), [1, 2, 3]);
  distributed.barrier();
  t.is(distributed.cudaCollectivePath().path, 'host');
  t.throws(() => distributed.allReduce(x, 'max' as 'sum'), { message: /op must be 'sum' or 'mean'/ });
});

test.serial('distributed: true in one process trains exactly as without it', (t) => {
  const run = (distributedOption: boolean) => {
    manualSeed(3);
    const model = new mtl.SharedBottom({ tasks: [{ name: 'a', type: 'binary' }, { name: 'r', type: 'regression' }], inputDim: 6, trunkHidden: [8] });
    mtl.train(model, sharedSignal(96, 1).tensors(), { epochs: 2, batchSize: 16, weighting: 'uncertainty', validation: sharedSignal(40, 2).tensors(), progress: false, distributed: distributedOption });
    return Object.values(model.stateDict()).flatMap((p) => Array.from(p.data()));
  };
  t.deepEqual(run(true), run(false));
});

test.serial('outside a launcher allToAll hands a process its own part, and wants one part per rank', (t) => {
  distributed.init();
  const mine = Uint8Array.of(1, 2, 3);
  const [back] = allToAllBytes([mine]);
  t.deepEqual(Array.from(back), [1, 2, 3]);
  t.not(back, mine, 'a copy');
  t.throws(() => allToAllBytes([mine, mine]), { message: 'allToAll: 2 parts for 1 rank; give one part per rank' });
});

test('the launcher is read from Open MPI, PMI (MPICH) and Slurm variables', (t) => {
  t.deepEqual(distributed.launcherWorld({ OMPI_COMM_WORLD_RANK: '1', OMPI_COMM_WORLD_SIZE: '4' }), { launcher: 'Open MPI', rank: 1, size: 4 });
  t.deepEqual(distributed.launcherWorld({ PMI_RANK: '0', PMI_SIZE: '2' }), { launcher: 'PMI', rank: 0, size: 2 });
  t.deepEqual(distributed.launcherWorld({ SLURM_PROCID: '3', SLURM_NTASKS: '8' }), { launcher: 'Slurm', rank: 3, size: 8 });
  t.is(distributed.launcherWorld({ SLURM_PROCID: '0' }), null, 'a rank without a size is no launcher');
  t.throws(() => distributed.launcherWorld({ PMI_RANK: '2', PMI_SIZE: '2' }), { message: /PMI_RANK=2 and PMI_SIZE=2 are not a rank within a world size/ });
});

test('under a launcher without an MPI build: an error saying so and how to rebuild', (t) => {
  const err = t.throws(() => distributed.requireComm({ launcher: 'Open MPI', rank: 1, size: 2 }, null));
  t.regex(err!.message, /started by Open MPI as rank 1 of 2, but the loaded trunkline addon was built without MPI/);
  t.regex(err!.message, /libopenmpi-dev/);
  t.regex(err!.message, /cmake-js compile/);
});

// With an addon built without MPI, the real path: a process that believes it was launched.
if (distributed.nativeComm() === null)
  test('a launched process with an addon built without MPI fails at init, saying so', (t) => {
    const env = { ...process.env, TRUNKLINE_ADDON: nativePath, OMPI_COMM_WORLD_RANK: '0', OMPI_COMM_WORLD_SIZE: '2' };
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', "import('./src/index.ts').then((tl) => tl.distributed.init())"], { cwd: ROOT, env, encoding: 'utf8' });
    t.not(r.status, 0);
    t.regex(r.stderr, /started by Open MPI as rank 0 of 2, but the loaded trunkline addon was built without MPI/);
  });

// ---- under mpirun ----------------------------------------------------------------------

if (skipReason) console.log(`distributed tests under mpirun skipped: ${skipReason}`);

mpiTest('collectives on 2 and 3 ranks: allReduce sum and mean, broadcast float32 and int32, allGather and allToAll of different sizes, barrier', async (t) => {
  for (const np of [2, 3]) {
    const r = await launch(np, 'distributed-collectives.ts', []);
    t.is(r.code, 0, r.output);
    t.regex(r.output, new RegExp(`collectives ok on ${np} ranks \\(cpu\\)`));
    // Every rank agrees how CUDA tensors would travel, and says why when not through NCCL.
    t.regex(r.output, /CUDA tensors: (nccl|host \(rank \d+: .+\))/);
  }
});

// ---- CUDA tensors under mpirun (NCCL where the build has it and each rank has a GPU) ----

const gpuMpiSkip = skipReason || (GPU ? '' : `no GPU present (${NO_GPU_REASON})`);
const gpuMpiTest = (title: string, body: Parameters<typeof mpiTest>[1]) =>
  gpuMpiSkip ? test.skip(`${title} (skipped: ${gpuMpiSkip})`, () => {}) : test.serial(title, body);
if (gpuMpiSkip && !skipReason) console.log(`distributed CUDA tests skipped: ${gpuMpiSkip}`);

gpuMpiTest('collectives on CUDA tensors on 2 ranks, through NCCL where every rank can, else through host memory', async (t) => {
  const r = await launch(2, 'distributed-collectives.ts', ['cuda']);
  t.is(r.code, 0, r.output);
  t.regex(r.output, /collectives ok on 2 ranks \(cuda\)/);
  const path = /CUDA tensors: (.*)/.exec(r.output)?.[1] ?? '';
  console.log(`distributed CUDA collectives: ${path}`);
  t.log(`path: ${path}`);
});

gpuMpiTest('shared-bottom on CUDA: 2 ranks at batch 16 end 50 steps where 1 process at batch 32 does', async (t) => {
  await oneVersusTwoRanks(t, 'shared-bottom on cuda', 'shared-bottom', { TRUNKLINE_TEST_DEVICE: 'cuda' });
});

gpuMpiTest('shared-bottom on CUDA with TRUNKLINE_NCCL=0: the same 50 steps through host memory', async (t) => {
  await oneVersusTwoRanks(t, 'shared-bottom on cuda, host path', 'shared-bottom', { TRUNKLINE_TEST_DEVICE: 'cuda', TRUNKLINE_NCCL: '0' });
});

type Trained = { worldSize: number; params: Record<string, number[]>; validation: { metrics: Record<string, Record<string, number>> } };
const readRank = (out: string, rank: number): Trained => JSON.parse(readFileSync(`${out}.rank${rank}.json`, 'utf8'));

/** max over elements of |a - b| / max(|a|, |b|, 1e-3): relative, with a floor for values near zero. */
function maxRelativeDifference(a: Trained, b: Trained): number {
  let worst = 0;
  for (const [k, v] of Object.entries(a.params))
    v.forEach((x, i) => {
      const y = b.params[k][i];
      worst = Math.max(worst, Math.abs(x - y) / Math.max(Math.abs(x), Math.abs(y), 1e-3));
    });
  return worst;
}

/**
 * 1 process at batch 32 and 2 ranks at batch 16 on the same 320 rows, 5 epochs of 10 steps
 * (each rank starts from other weights; rank 0's are broadcast): both ranks must hold the
 * same parameters, within 1e-4 (relative) of the one process's. Returns both records.
 */
async function oneVersusTwoRanks(t: ExecutionContext, label: string, arch: string, env?: Record<string, string>): Promise<{ ref: Trained; r0: Trained }> {
  const dir = tempDir();
  const one = await launch(0, 'distributed-train.ts', [arch, '32', '5', join(dir, 'one')], 60_000, env);
  t.is(one.code, 0, one.output);
  const two = await launch(2, 'distributed-train.ts', [arch, '16', '5', join(dir, 'two')], 60_000, env);
  t.is(two.code, 0, two.output);
  const ref = readRank(join(dir, 'one'), 0), r0 = readRank(join(dir, 'two'), 0), r1 = readRank(join(dir, 'two'), 1);
  t.is(r0.worldSize, 2);
  t.deepEqual(r1.params, r0.params, 'both ranks hold the same parameters');
  const diff = maxRelativeDifference(ref, r0);
  const line = `${label}: max relative parameter difference, 2 ranks x batch 16 vs 1 process x batch 32, after 50 steps: ${diff.toExponential(2)}`;
  console.log(line);
  t.log(line);
  t.true(diff < 1e-4, line);
  return { ref, r0 };
}

for (const arch of ['shared-bottom', 'mmoe'])
  mpiTest(`${arch}, uncertainty weighting: 2 ranks at batch 16 end 50 steps where 1 process at batch 32 does`, async (t) => {
    const { ref, r0 } = await oneVersusTwoRanks(t, arch, arch);
    // Validation metrics are computed on every rank's rows together, as in one process.
    t.true(Math.abs(r0.validation.metrics.a.auc - ref.validation.metrics.a.auc) < 1e-6, `validation AUC ${r0.validation.metrics.a.auc} vs ${ref.validation.metrics.a.auc}`);
  });

mpiTest('a rank killed mid-run ends the job within seconds, naming the rank', async (t) => {
  const dir = tempDir();
  const r = await launch(2, 'distributed-train.ts', ['shared-bottom', '16', '5', join(dir, 'k'), 'kill', '1', '20'], 30_000);
  t.not(r.code, 0, r.output);
  t.true(r.seconds < 30, `stopped after ${r.seconds.toFixed(1)} s`);
  t.regex(r.output, /process rank 1 .*exited on signal 9/);
});

mpiTest('a rank that throws ends the job, its error printed with its rank', async (t) => {
  const dir = tempDir();
  const r = await launch(2, 'distributed-train.ts', ['shared-bottom', '16', '5', join(dir, 'e'), 'throw', '1', '20'], 30_000);
  t.not(r.code, 0, r.output);
  t.true(r.seconds < 30, `stopped after ${r.seconds.toFixed(1)} s`);
  t.regex(r.output, /rank 1 of 2 is exiting with code 1: Error: rank 1 fails on purpose at step 20/);
});

// Per-task-gradient weightings: each task's gradient on the shared parameters is averaged
// over the ranks (weighted by labelled rows) before the weighting combines them, so every
// rank takes the step one process takes on the global batch. PCGrad's random projection
// order comes from its own seeded generator, the same on every rank.
for (const weighting of ['pcgrad', 'mgda'])
  mpiTest(`${weighting} weighting: 2 ranks at batch 16 end 50 steps where 1 process at batch 32 does`, async (t) => {
    await oneVersusTwoRanks(t, weighting, 'shared-bottom', { TRUNKLINE_TEST_WEIGHTING: weighting });
  });
