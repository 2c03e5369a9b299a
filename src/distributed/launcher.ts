// Which launcher started this process, and where it put us: Open MPI's mpirun, MPICH or
// Intel MPI (PMI), or Slurm's srun. Read from the environment alone, so a script run on
// its own sees no launcher and trains as one process.

export interface LauncherWorld {
  launcher: 'Open MPI' | 'PMI' | 'Slurm';
  rank: number;
  size: number;
}

const KNOWN: { launcher: LauncherWorld['launcher']; rank: string; size: string }[] = [
  { launcher: 'Open MPI', rank: 'OMPI_COMM_WORLD_RANK', size: 'OMPI_COMM_WORLD_SIZE' },
  { launcher: 'PMI', rank: 'PMI_RANK', size: 'PMI_SIZE' },
  { launcher: 'Slurm', rank: 'SLURM_PROCID', size: 'SLURM_NTASKS' },
];

/** The first launcher whose rank and size variables are both set; null outside one. */
export function launcherWorld(env: NodeJS.ProcessEnv = process.env): LauncherWorld | null {
  for (const k of KNOWN) {
    const r = env[k.rank], s = env[k.size];
    if (r === undefined || s === undefined) continue;
    const rank = Number(r), size = Number(s);
    if (!Number.isInteger(rank) || !Number.isInteger(size) || size < 1 || rank < 0 || rank >= size)
      throw new Error(`distributed: ${k.launcher}'s ${k.rank}=${r} and ${k.size}=${s} are not a rank within a world size`);
    return { launcher: k.launcher, rank, size };
  }
  return null;
}
