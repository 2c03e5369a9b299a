// Small dense linear algebra for the strategies that look at the geometry of the task
// gradients (MGDA, CAGrad, Nash-MTL, IMTL, Aligned-MTL). Every one of them reduces T long
// gradients (T tasks, a handful) to their T x T Gram matrix once, works on that in float64,
// and comes back with one weight per task; only `gramMatrix` and `weightedCombination`
// touch the long vectors.
import { dot } from '../gradients.js';

export type Matrix = number[][];

/** G_ij = g_i . g_j, symmetric, in float64. */
export function gramMatrix(grads: readonly Float32Array[]): Matrix {
  const T = grads.length;
  const G: Matrix = Array.from({ length: T }, () => new Array<number>(T).fill(0));
  for (let i = 0; i < T; i++)
    for (let j = i; j < T; j++) G[i][j] = G[j][i] = dot(grads[i], grads[j]);
  return G;
}

/** sum_i w_i g_i as a new flat gradient (zero-weight tasks skipped). */
export function weightedCombination(grads: readonly Float32Array[], weights: readonly number[]): Float32Array {
  const out = new Float32Array(grads[0]?.length ?? 0);
  grads.forEach((g, i) => {
    const w = weights[i];
    if (w === 0) return;
    for (let k = 0; k < out.length; k++) out[k] += w * g[k];
  });
  return out;
}

/** A v for a square matrix. */
export const matVec = (A: Matrix, v: readonly number[]): number[] => A.map((row) => row.reduce((s, a, j) => s + a * v[j], 0));

/** u . v of two short vectors. */
export const vecDot = (u: readonly number[], v: readonly number[]): number => u.reduce((s, a, i) => s + a * v[i], 0);

/** The quadratic form w^T A w: the squared norm of sum_i w_i g_i when A is their Gram matrix. */
export const quadratic = (A: Matrix, w: readonly number[]): number => vecDot(w, matVec(A, w));

/**
 * Solves A x = b by Gaussian elimination with partial pivoting (A square, small). Throws on
 * a singular matrix, so each caller decides what a degenerate geometry means for it.
 */
export function solveLinear(A: Matrix, b: readonly number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]]);
  const scale = Math.max(1e-300, ...A.flat().map(Math.abs));
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    if (Math.abs(M[p][c]) <= 1e-12 * scale) throw new Error(`solveLinear: singular ${n}x${n} matrix`);
    [M[c], M[p]] = [M[p], M[c]];
    for (let r = c + 1; r < n; r++) {
      const f = M[r][c] / M[c][c];
      for (let k = c; k <= n; k++) M[r][k] -= f * M[c][k];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = M[r][n];
    for (let k = r + 1; k < n; k++) s -= M[r][k] * x[k];
    x[r] = s / M[r][r];
  }
  return x;
}

/**
 * Eigenvalues (descending) and unit eigenvectors (vectors[k] belongs to values[k]) of a
 * symmetric matrix, by cyclic Jacobi rotations: exact to rounding for the few-by-few Gram
 * matrices met here, with no dependency.
 */
export function symmetricEigen(S: Matrix): { values: number[]; vectors: number[][] } {
  const n = S.length;
  const A = S.map((row) => row.slice());
  const V: Matrix = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += A[p][q] * A[p][q];
    if (off <= 1e-30 * Math.max(1e-300, ...A.map((r, i) => r[i] * r[i]))) break;
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) {
        if (A[p][q] === 0) continue;
        // The rotation angle that zeroes A[p][q] (Golub & Van Loan, symmetric Schur).
        const theta = (A[q][q] - A[p][p]) / (2 * A[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = A[k][p], akq = A[k][q];
          A[k][p] = c * akp - s * akq;
          A[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = A[p][k], aqk = A[q][k];
          A[p][k] = c * apk - s * aqk;
          A[q][k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = V[k][p], vkq = V[k][q];
          V[k][p] = c * vkp - s * vkq;
          V[k][q] = s * vkp + c * vkq;
        }
      }
  }
  const order = [...Array(n).keys()].sort((a, b) => A[b][b] - A[a][a]);
  return { values: order.map((k) => A[k][k]), vectors: order.map((k) => V.map((row) => row[k])) };
}

/**
 * The point of the segment between two vectors a and b closest to the origin, as the weight
 * gamma of a in gamma a + (1 - gamma) b, from their dot products:
 * gamma = clamp(((b - a) . b) / |a - b|^2, 0, 1). Equal vectors give 1/2.
 */
export function minNormOfTwo(aa: number, ab: number, bb: number): number {
  const d = aa - 2 * ab + bb;
  if (!(d > 0)) return 0.5;
  return Math.min(1, Math.max(0, (bb - ab) / d));
}

/** The Euclidean projection of y onto the probability simplex {w >= 0, sum w = 1}. */
export function projectOntoSimplex(y: readonly number[]): number[] {
  const sorted = [...y].sort((a, b) => b - a);
  let cumulative = 0, shift = (y.reduce((a, b) => a + b, 0) - 1) / y.length;
  for (let k = 0; k < sorted.length; k++) {
    cumulative += sorted[k];
    const candidate = (cumulative - 1) / (k + 1);
    if (k === sorted.length - 1 || candidate >= sorted[k + 1]) {
      shift = candidate;
      break;
    }
  }
  return y.map((v) => Math.max(0, v - shift));
}

/**
 * Minimises a convex function over the probability simplex by projected gradient descent
 * with a backtracking step; `start` is its first point. Enough for T-dimensional problems
 * with T a handful (a few hundred cheap iterations at most).
 */
export function minimizeOnSimplex(f: (w: number[]) => number, gradient: (w: number[]) => number[], start: readonly number[], iterations = 500): number[] {
  let w = projectOntoSimplex(start);
  let fw = f(w), step = 1;
  for (let it = 0; it < iterations; it++) {
    const g = gradient(w);
    let next = w, fNext = fw;
    // Armijo backtracking on the projected step.
    for (let tries = 0; tries < 60; tries++) {
      next = projectOntoSimplex(w.map((v, i) => v - step * g[i]));
      fNext = f(next);
      const moved = next.map((v, i) => v - w[i]);
      if (fNext <= fw + vecDot(g, moved) + vecDot(moved, moved) / (2 * step)) break;
      step /= 2;
    }
    const change = next.reduce((s, v, i) => s + Math.abs(v - w[i]), 0);
    w = next;
    fw = fNext;
    if (change < 1e-12) break;
    step *= 2; // let the step grow back after a cautious stretch
  }
  return w;
}
