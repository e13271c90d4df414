/**
 * Hebb's rule (regola di Hebb) and Oja's normalised variant, from scratch, with the covariance matrix
 * and its leading eigenvector to check what Oja's rule learns. Notebook 01 (lecture 001, Hebb's rule).
 */

/**
 * Hebb's rule for one linear neuron y = wᵀx: Δw = η·x·y, applied to `w` in place. Returns `w`.
 * "Neurons that fire together wire together". Notebook 01 (lecture 001, Hebb's rule).
 */
export function hebbUpdate(w: Float64Array, x: ArrayLike<number>, y: number, eta: number): Float64Array {
  for (let i = 0; i < w.length; i++) w[i]! += eta * x[i]! * y;
  return w;
}

/**
 * Oja's rule for one linear neuron y = wᵀx: Δw = η·y·(x − y·w), Hebb's term η·x·y minus a decay
 * η·y²·w that keeps ‖w‖ near 1. Applied to `w` in place; returns `w`. Notebook 01 (lecture 001, Hebb's rule).
 */
export function ojaUpdate(w: Float64Array, x: ArrayLike<number>, y: number, eta: number): Float64Array {
  for (let i = 0; i < w.length; i++) w[i]! += eta * y * (x[i]! - y * w[i]!);
  return w;
}

/**
 * Hebbian learning of an association (a linear associative memory): the weight matrix
 * W = η Σ_k y_k x_kᵀ, i.e. Hebb's rule Δw_ij = η·x_j·y_i summed over the pairs (x_k, y_k).
 * Returns W as a row-major Float64Array of shape out×in (W[i·in + j]). Recall is y ≈ Wx; it is exact,
 * up to the factor η‖x‖², when the stored x_k are orthogonal. Notebook 01 (lecture 001, Hebb's rule).
 */
export function hebbAssociate(X: ArrayLike<number>[], Y: ArrayLike<number>[], eta = 1): Float64Array {
  if (X.length === 0 || X.length !== Y.length) {
    throw new Error(`hebbAssociate: ${X.length} inputs and ${Y.length} outputs; pass the same number (at least one) of each`);
  }
  const nIn = X[0]!.length;
  const nOut = Y[0]!.length;
  const W = new Float64Array(nOut * nIn);
  X.forEach((x, k) => {
    const yk = Y[k]!;
    if (x.length !== nIn || yk.length !== nOut) throw new Error(`hebbAssociate: pair ${k} has sizes ${x.length}→${yk.length}, the first ${nIn}→${nOut}`);
    for (let i = 0; i < nOut; i++) for (let j = 0; j < nIn; j++) W[i * nIn + j]! += eta * x[j]! * yk[i]!;
  });
  return W;
}

/** Options of `trainHebbian`. */
export interface HebbianOptions {
  /** "hebb" for Δw = η·x·y, "oja" for Δw = η·y·(x − y·w). */
  rule: "hebb" | "oja";
  /** Learning rate η. */
  eta: number;
  /** Passes over the data. */
  epochs: number;
  /** Initial weights (one per input); required, e.g. small random numbers from the lib's rng. */
  init: ArrayLike<number>;
}

/** What `trainHebbian` returns. */
export interface HebbianResult {
  /** The final weights. */
  w: Float64Array;
  /** ‖w‖ after each sample (length epochs · samples), to show growth or convergence. */
  norms: Float64Array;
}

/**
 * Unsupervised Hebbian learning of one linear neuron y = wᵀx over the rows of X (centre them first
 * to learn principal components): plain Hebb makes ‖w‖ grow without bound, Oja's rule converges
 * to the unit-norm leading eigenvector of the covariance (the first principal component).
 * Notebook 01 (lecture 001, Hebb's rule).
 */
export function trainHebbian(X: ArrayLike<number>[], options: HebbianOptions): HebbianResult {
  const { rule, eta, epochs, init } = options;
  if (X.length === 0) throw new Error("trainHebbian: no data, pass at least one sample");
  if (init.length !== X[0]!.length) throw new Error(`trainHebbian: init has ${init.length} weights, the samples ${X[0]!.length} components`);
  if (rule !== "hebb" && rule !== "oja") throw new Error(`trainHebbian: unknown rule "${rule}", use "hebb" or "oja"`);
  const w = Float64Array.from(init);
  const norms = new Float64Array(epochs * X.length);
  let t = 0;
  for (let e = 0; e < epochs; e++) {
    for (const x of X) {
      let y = 0;
      for (let i = 0; i < w.length; i++) y += w[i]! * x[i]!;
      if (rule === "hebb") hebbUpdate(w, x, y, eta);
      else ojaUpdate(w, x, y, eta);
      norms[t++] = Math.hypot(...w);
    }
  }
  return { w, norms };
}

/** The rows of X minus their column means (a new array of Float64Array rows). Notebook 01 (lecture 001, Hebb's rule and PCA). */
export function centre(X: ArrayLike<number>[]): Float64Array[] {
  if (X.length === 0) throw new Error("centre: no data, pass at least one sample");
  const d = X[0]!.length;
  const mean = new Float64Array(d);
  for (const x of X) for (let j = 0; j < d; j++) mean[j]! += x[j]! / X.length;
  return X.map((x) => Float64Array.from({ length: d }, (_, j) => x[j]! - mean[j]!));
}

/**
 * The sample covariance C = (1/N) Σ_i (x_i − x̄)(x_i − x̄)ᵀ as a d×d row-major Float64Array.
 * Notebook 01 (lecture 001, Hebb's rule and PCA).
 */
export function covariance(X: ArrayLike<number>[]): Float64Array {
  const Xc = centre(X);
  const d = Xc[0]!.length;
  const C = new Float64Array(d * d);
  for (const x of Xc) for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) C[i * d + j]! += (x[i]! * x[j]!) / Xc.length;
  return C;
}

/**
 * The leading eigenvector (unit norm) and eigenvalue of a symmetric positive semi-definite d×d matrix
 * given row-major, by power iteration from a fixed start, until the vector moves less than `tol`.
 * Notebook 01 (lecture 001, Hebb's rule, Oja's rule and the first principal component).
 */
export function leadingEigenvector(A: ArrayLike<number>, d: number, { maxIterations = 10_000, tol = 1e-12 } = {}): { vector: Float64Array; value: number } {
  if (A.length !== d * d) throw new Error(`leadingEigenvector: the matrix has ${A.length} entries, a ${d}×${d} one has ${d * d}`);
  let v = Float64Array.from({ length: d }, (_, i) => 1 / Math.sqrt(d) + i * 1e-3); // avoid starting orthogonal by symmetry
  for (let it = 0; it < maxIterations; it++) {
    const Av = new Float64Array(d);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) Av[i]! += A[i * d + j]! * v[j]!;
    const norm = Math.hypot(...Av);
    if (norm === 0) throw new Error("leadingEigenvector: A·v = 0, the matrix has no positive eigenvalue along the start vector");
    for (let i = 0; i < d; i++) Av[i]! /= norm;
    let change = 0;
    for (let i = 0; i < d; i++) change = Math.max(change, Math.abs(Av[i]! - v[i]!));
    v = Av;
    if (change < tol) break;
  }
  let value = 0;
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) value += v[i]! * A[i * d + j]! * v[j]!;
  return { vector: v, value };
}
