// The process's place in a data-parallel job. Outside a launcher the world is one process
// and every collective is a no-op, so the same script runs alone or under mpirun.
import { launcherWorld, type LauncherWorld } from './launcher.js';
import { nativeComm, whyNoComm, type NativeComm } from './comm.js';
import { selectRankDevice } from './device-path.js';

interface World {
  rank: number;
  size: number;
  /** Null when the world is one process. */
  comm: NativeComm | null;
}

let world: World | null = null;

/**
 * Joins the launcher's world (idempotent) and returns rank and size. Without a launcher,
 * rank 0 of 1. Under a launcher with more than one process but an addon built without MPI,
 * an error that says so and how to rebuild.
 */
export function init(): { rank: number; worldSize: number } {
  if (!world) world = join();
  return { rank: world.rank, worldSize: world.size };
}

/** The communicator for a launched world; an error naming the launcher and rank when the addon has none. */
export function requireComm(launched: LauncherWorld, comm: NativeComm | null = nativeComm()): NativeComm {
  if (!comm) throw new Error(`distributed: started by ${launched.launcher} as rank ${launched.rank} of ${launched.size}, but ${whyNoComm()}`);
  return comm;
}

function join(): World {
  const launched = launcherWorld();
  if (!launched || launched.size === 1) return { rank: 0, size: 1, comm: null };
  const comm = requireComm(launched);
  comm.dist_init();
  const rank = comm.dist_rank(), size = comm.dist_worldSize();
  if (rank !== launched.rank || size !== launched.size)
    throw new Error(`distributed: ${launched.launcher} says rank ${launched.rank} of ${launched.size}, MPI says rank ${rank} of ${size} (a launcher from another MPI than the addon's?)`);
  // A GPU this rank cannot use (older than sm_80) leaves the device as it was; CUDA
  // tensors then go through host memory, and devicePath() says why.
  try {
    selectRankDevice(comm);
  } catch {}
  // A clean exit leaves MPI together with the others; a failing one (an uncaught error,
  // a non-zero exit code) ends the whole job, so no rank waits forever in a collective
  // for this one.
  // Node prints an uncaught error only after the exit handlers, which never return here:
  // the handler prints it, with the rank.
  let fatal: unknown = null;
  process.on('uncaughtExceptionMonitor', (err) => (fatal = err));
  process.on('exit', (code) => {
    if (code === 0) return comm.dist_finalize();
    const why = fatal instanceof Error ? `: ${fatal.stack ?? fatal.message}` : fatal !== null ? `: ${String(fatal)}` : '';
    process.stderr.write(`trunkline: rank ${rank} of ${size} is exiting with code ${code}${why}\ntrunkline: ending the job\n`);
    // The launcher forwards output asynchronously and MPI_Abort kills at once: a moment's
    // pause lets this rank's error message reach the terminal first.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
    comm.dist_abort(code || 1);
  });
  return { rank, size, comm };
}

/** This process's rank (0 before init and outside a launcher). */
export const rank = (): number => world?.rank ?? 0;

/** The number of processes in the job (1 before init and outside a launcher). */
export const worldSize = (): number => world?.size ?? 1;

/** True once init() joined a world of more than one process. */
export const isDistributed = (): boolean => (world?.size ?? 1) > 1;

/** The communicator of a multi-process world, or null (world size 1: collectives are no-ops). */
export const activeComm = (): NativeComm | null => world?.comm ?? null;

/** Leaves the world now (also done at exit); no collective may run after it. */
export function finalize(): void {
  world?.comm?.dist_finalize();
}
