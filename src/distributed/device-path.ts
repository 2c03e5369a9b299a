// How collectives move CUDA tensors: on the device through NCCL, or through host memory
// and MPI. Every rank must take the same path, so it is agreed once (one small gather),
// the first time a collective meets a CUDA tensor; NCCL's communicator is made then.
import { native } from '../native.js';
import type { NativeComm } from './comm.js';

export type DevicePath = { path: 'nccl' } | { path: 'host'; reason: string };

let agreed: DevicePath | null = null;

/**
 * The rank's CUDA device: its place among the ranks on its machine, so each rank on a
 * machine with several GPUs takes its own. Leaves the device alone when this process
 * already used one (a tensor moved to 'cuda' before init); devicePath() then says so.
 */
export function selectRankDevice(comm: NativeComm): void {
  if (process.env.TRUNKLINE_CUDA_DEVICE !== undefined || !native.cuda_isAvailable()) return;
  const count = native.cuda_deviceCount();
  if (count > 0) native.cuda_selectDevice(comm.dist_localRank() % count);
}

/** Why this rank cannot reduce CUDA tensors through NCCL, or null when it can. */
function whyNotNccl(comm: NativeComm): string | null {
  if (process.env.TRUNKLINE_NCCL === '0') return 'TRUNKLINE_NCCL=0 is set';
  if (typeof comm.dist_deviceIsAvailable !== 'function') return 'the loaded addon predates the NCCL collectives';
  if (!comm.dist_deviceIsAvailable()) return comm.dist_deviceUnavailableReason();
  if (!native.cuda_isAvailable()) return `no usable CUDA device (${native.cuda_unavailableReason()})`;
  const local = comm.dist_localRank(), ranksHere = comm.dist_localSize(), gpus = native.cuda_deviceCount();
  if (ranksHere > gpus) return `${ranksHere} ranks share this machine's ${gpus} GPU${gpus === 1 ? '' : 's'}, and NCCL needs a GPU per rank`;
  const device = native.cuda_currentDevice();
  if (process.env.TRUNKLINE_CUDA_DEVICE === undefined && device !== local)
    return `this rank uses CUDA device ${device}, not device ${local} (its place on the machine): it used CUDA before distributed.init()`;
  return null;
}

/**
 * The path every rank takes for CUDA tensors, agreed on the first call (collective: every
 * rank must call it at the same point, as every collective is). With NCCL, its
 * communicator is made here.
 */
export function devicePath(comm: NativeComm, gather: (mine: string | null) => (string | null)[]): DevicePath {
  if (agreed) return agreed;
  const reasons = gather(whyNotNccl(comm));
  const first = reasons.findIndex((r) => r !== null);
  if (first < 0) {
    comm.dist_deviceInit();
    agreed = { path: 'nccl' };
  } else {
    agreed = { path: 'host', reason: `rank ${first}: ${reasons[first]}` };
  }
  return agreed;
}

/** The agreed path, or null before any collective met a CUDA tensor. */
export const agreedDevicePath = (): DevicePath | null => agreed;
