// The addon's communicator (native/dist), or why there is none. An addon built before the
// communicator existed lacks the dist_* exports altogether; that reads as "no MPI" too.
import { native } from '../native.js';

export interface NativeComm {
  dist_isAvailable(): boolean;
  dist_unavailableReason(): string;
  dist_init(): void;
  dist_finalize(): void;
  dist_initialized(): boolean;
  dist_rank(): number;
  dist_worldSize(): number;
  dist_localRank(): number;
  dist_localSize(): number;
  dist_allReduce(buf: Float32Array, n: number, mean: boolean): void;
  dist_broadcast(buf: ArrayBufferView, root: number): void;
  dist_allGather(buf: ArrayBufferView): { data: Uint8Array; sizes: number[] };
  dist_allToAll(buf: ArrayBufferView, sendSizes: number[]): { data: Uint8Array; sizes: number[] };
  dist_barrier(): void;
  dist_abort(code: number): void;
  dist_deviceIsAvailable(): boolean;
  dist_deviceUnavailableReason(): string;
  dist_deviceInit(): void;
  dist_deviceAllReduce(buf: object, n: number, mean: boolean): void;
  dist_deviceBroadcast(buf: object, bytes: number, root: number): void;
}

const REBUILD =
  'install MPI (apt-get install libopenmpi-dev openmpi-bin, or your cluster\'s MPI module) and rebuild the addon with ' +
  '`npx cmake-js compile -O build-cmake` (or `npm rebuild trunkline`); node-gyp builds never include MPI';

const table = native as unknown as Partial<NativeComm>;

/** The communicator when the loaded addon has one, else null. */
export function nativeComm(): NativeComm | null {
  return typeof table.dist_isAvailable === 'function' && table.dist_isAvailable() ? (table as NativeComm) : null;
}

/** Why the loaded addon has no communicator, with how to get one. */
export function whyNoComm(): string {
  if (typeof table.dist_isAvailable !== 'function') return `the loaded trunkline addon was built without MPI (it predates the communicator); ${REBUILD}`;
  return `the loaded trunkline addon was built without MPI; ${REBUILD}`;
}
