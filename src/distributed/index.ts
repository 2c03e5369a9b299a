// tl.distributed: data-parallel training across processes started by an MPI launcher
// (mpirun, srun). Outside a launcher the world is one process and every call is a no-op.
export { init, rank, worldSize, isDistributed, finalize, requireComm } from './world.js';
export { allReduce, broadcast, allGather, allGatherBytes, allToAllBytes, barrier, cudaCollectivePath, type ReduceOp } from './collectives.js';
export type { DevicePath } from './device-path.js';
export { launcherWorld, type LauncherWorld } from './launcher.js';
export { nativeComm, whyNoComm } from './comm.js';
export { DataParallel, dataParallel, BUCKET_FLOATS } from './data-parallel.js';
export { ShardedLoader, FirstBatches, markRankLocal, isRankLocal } from './sharding.js';
export { readRankShare, rankParts, dedupeAcrossRanks, type RankShare, type FileShare } from './sharded-input.js';
