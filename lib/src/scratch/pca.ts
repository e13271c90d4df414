/**
 * Principal component analysis from scratch on plain typed arrays: the covariance, a symmetric
 * eigendecomposition (Householder tridiagonalisation and the implicit QL algorithm, as in EISPACK's
 * tred2/tql2), projections and reconstructions, and the principal angles between two subspaces
 * (how close a linear autoencoder's code space is to the principal subspace).
 * Notebook 09 (lecture 003, autoencoders: a linear autoencoder spans the principal subspace).
 */

/** An eigendecomposition A = Σ λ_i v_i v_iᵀ of a symmetric matrix. Notebook 09 (lecture 003, autoencoders). */
export interface Eigen {
  /** Eigenvalues λ_1 ≥ λ_2 ≥ … ≥ λ_n (largest first). */
  values: Float64Array;
  /** Eigenvectors as the rows of an n × n row-major array: row i is the unit vector v_i of λ_i. */
  vectors: Float64Array;
  /** Size n. */
  n: number;
}

function checkMatrix(a: ArrayLike<number>, n: number, fn: string): void {
  if (!Number.isInteger(n) || n < 1 || a.length !== n * n) {
    throw new RangeError(`${fn}: ${a.length} values are not an n × n matrix with n = ${n}`);
  }
}

/**
 * The eigendecomposition of the symmetric n × n matrix `a` (row-major; only symmetric input is
 * meaningful, asymmetry is rejected). Householder reduction to tridiagonal form, then implicit QL with
 * shifts (EISPACK tred2/tql2, as in JAMA), O(n³); exact to rounding, all eigenpairs at once.
 * Notebook 09 (lecture 003, autoencoders: PCA).
 */
export function symmetricEigen(a: ArrayLike<number>, n: number): Eigen {
  checkMatrix(a, n, "symmetricEigen");
  let scaleA = 0;
  for (let i = 0; i < n * n; i++) scaleA = Math.max(scaleA, Math.abs(a[i]!));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      if (Math.abs(a[i * n + j]! - a[j * n + i]!) > 1e-9 * Math.max(scaleA, 1e-300)) {
        throw new Error(`symmetricEigen: the matrix is not symmetric (a[${i}][${j}] = ${a[i * n + j]} but a[${j}][${i}] = ${a[j * n + i]})`);
      }
    }
  }
  // V is stored column-major (V[r][c] at v[c·n + r]) so that every inner loop below runs over contiguous memory.
  const v = Float64Array.from(a as ArrayLike<number>);
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  tred2(v, d, e, n);
  tql2(v, d, e, n);
  // Sort descending; eigenvector j is column j of V, i.e. v[j·n .. j·n + n).
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => d[y]! - d[x]!);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((j, i) => {
    values[i] = d[j]!;
    vectors.set(v.subarray(j * n, j * n + n), i * n);
  });
  return { values, vectors, n };
}

/** Householder reduction of the symmetric matrix in `v` (column-major) to tridiagonal form (d: diagonal, e: sub-diagonal), accumulating the transformation in `v`. */
function tred2(v: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  const at = (r: number, c: number) => c * n + r;
  for (let j = 0; j < n; j++) d[j] = v[at(n - 1, j)]!;
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]!);
    if (scale === 0) {
      e[i] = d[i - 1]!;
      for (let j = 0; j < i; j++) {
        d[j] = v[at(i - 1, j)]!;
        v[at(i, j)] = 0;
        v[at(j, i)] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k]! /= scale;
        h += d[k]! * d[k]!;
      }
      let f = d[i - 1]!;
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        v[at(j, i)] = f;
        const col = j * n;
        g = e[j]! + v[col + j]! * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += v[col + k]! * d[k]!;
          e[k]! += v[col + k]! * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j]! /= h;
        f += e[j]! * d[j]!;
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j]! -= hh * d[j]!;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        g = e[j]!;
        const col = j * n;
        for (let k = j; k <= i - 1; k++) v[col + k]! -= f * e[k]! + g * d[k]!;
        d[j] = v[at(i - 1, j)]!;
        v[at(i, j)] = 0;
      }
    }
    d[i] = h;
  }
  // Accumulate the transformations.
  for (let i = 0; i < n - 1; i++) {
    v[at(n - 1, i)] = v[at(i, i)]!;
    v[at(i, i)] = 1;
    const h = d[i + 1]!;
    const next = (i + 1) * n;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = v[next + k]! / h;
      for (let j = 0; j <= i; j++) {
        const col = j * n;
        let g = 0;
        for (let k = 0; k <= i; k++) g += v[next + k]! * v[col + k]!;
        for (let k = 0; k <= i; k++) v[col + k]! -= g * d[k]!;
      }
    }
    for (let k = 0; k <= i; k++) v[next + k] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = v[at(n - 1, j)]!;
    v[at(n - 1, j)] = 0;
  }
  v[at(n - 1, n - 1)] = 1;
  e[0] = 0;
}

/** Implicit QL iterations on the tridiagonal (d, e), rotating the columns of `v` (column-major) into eigenvectors. */
function tql2(v: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i]!;
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]!) + Math.abs(e[l]!));
    let m = l;
    while (m < n) {
      if (Math.abs(e[m]!) <= eps * tst1) break;
      m++;
    }
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 100) throw new Error("symmetricEigen: the QL iteration did not converge");
        let g = d[l]!;
        let p = (d[l + 1]! - g) / (2 * e[l]!);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l]! / (p + r);
        d[l + 1] = e[l]! * (p + r);
        const dl1 = d[l + 1]!;
        let h = g - d[l]!;
        for (let i = l + 2; i < n; i++) d[i]! -= h;
        f += h;
        p = d[m]!;
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1]!;
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i]!;
          h = c * p;
          r = Math.hypot(p, e[i]!);
          e[i + 1] = s * r;
          s = e[i]! / r;
          c = p / r;
          p = c * d[i]! - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]!);
          const a = i * n;
          const b = (i + 1) * n;
          for (let k = 0; k < n; k++) {
            h = v[b + k]!;
            v[b + k] = s * v[a + k]! + c * h;
            v[a + k] = c * v[a + k]! - s * h;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]!) > eps * tst1);
    }
    d[l] = d[l]! + f;
    e[l] = 0;
  }
}

/**
 * The mean μ (length d) and the covariance Σ = (1/N) Σ_n (x_n − μ)(x_n − μ)ᵀ (d × d, row-major; the 1/N of
 * maximum likelihood, so that the PCA residual variance equals the training reconstruction error) of the
 * rows of `x` (rows × d, row-major). Zero entries are skipped in the outer products (fast on MNIST, whose
 * digits are mostly background). Notebook 09 (lecture 003, autoencoders: PCA).
 */
export function covariance(x: ArrayLike<number>, rows: number, d: number): { mean: Float64Array; cov: Float64Array } {
  if (!Number.isInteger(rows) || rows < 1 || !Number.isInteger(d) || d < 1 || x.length !== rows * d) {
    throw new RangeError(`covariance: ${x.length} values are not ${rows} rows of ${d}`);
  }
  const mean = new Float64Array(d);
  const second = new Float64Array(d * d); // Σ x xᵀ, upper triangle
  const idx = new Int32Array(d);
  const val = new Float64Array(d);
  for (let r = 0; r < rows; r++) {
    let nz = 0;
    for (let j = 0; j < d; j++) {
      const value = x[r * d + j]!;
      mean[j]! += value;
      if (value !== 0) {
        idx[nz] = j;
        val[nz++] = value;
      }
    }
    for (let a = 0; a < nz; a++) {
      const row = idx[a]! * d;
      const va = val[a]!;
      for (let b = a; b < nz; b++) second[row + idx[b]!]! += va * val[b]!;
    }
  }
  for (let j = 0; j < d; j++) mean[j]! /= rows;
  const cov = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      const c = second[i * d + j]! / rows - mean[i]! * mean[j]!;
      cov[i * d + j] = c;
      cov[j * d + i] = c;
    }
  }
  return { mean, cov };
}

/** A fitted PCA. Notebook 09 (lecture 003, autoencoders: PCA). */
export interface Pca {
  /** Input dimension d. */
  d: number;
  /** Number of components kept, k. */
  k: number;
  /** The mean μ of the training rows. */
  mean: Float64Array;
  /** The k principal directions as the rows of a k × d row-major array (unit, orthogonal, by decreasing variance). */
  components: Float64Array;
  /** All d variances along the principal directions (the covariance's eigenvalues), largest first. */
  variances: Float64Array;
}

/**
 * Fits PCA to the rows of `x` (rows × d): the eigenvectors of the covariance with the k largest eigenvalues.
 * Keeps all d variances, so `residualVariance` can give the error of every code size.
 * Notebook 09 (lecture 003, autoencoders: a linear autoencoder and PCA).
 */
export function fit(x: ArrayLike<number>, rows: number, d: number, k: number): Pca {
  if (!Number.isInteger(k) || k < 1 || k > d) throw new RangeError(`pca.fit: k must be an integer in [1, ${d}], got ${k}`);
  const { mean, cov } = covariance(x, rows, d);
  // Inputs that never vary (MNIST's border pixels) carry no principal direction: decompose the covariance of
  // the others (O(n³): 633 instead of 784 inputs on 2,000 digits is half the work) and put zeros back.
  const active: number[] = [];
  for (let j = 0; j < d; j++) if (cov[j * d + j]! > 0) active.push(j);
  const n = active.length;
  const reduced = new Float64Array(n * n);
  for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) reduced[a * n + b] = cov[active[a]! * d + active[b]!]!;
  const eigen = n > 0 ? symmetricEigen(reduced, n) : { values: new Float64Array(0), vectors: new Float64Array(0) };
  const variances = new Float64Array(d);
  // Rounding can leave the smallest variances at −1e-17: clamp them to 0.
  for (let i = 0; i < n; i++) variances[i] = Math.max(eigen.values[i]!, 0);
  const components = new Float64Array(k * d);
  for (let i = 0; i < k; i++) {
    if (i < n) for (let a = 0; a < n; a++) components[i * d + active[a]!] = eigen.vectors[i * n + a]!;
    else components[i * d + constantDirection(components, i, d)] = 1; // k > n: any unit vector orthogonal to the rest
  }
  return { d, k, mean, components, variances };
}

/** An input index whose unit vector is orthogonal to the first i components (one they do not touch). */
function constantDirection(components: Float64Array, i: number, d: number): number {
  for (let j = 0; j < d; j++) {
    let used = false;
    for (let c = 0; c < i && !used; c++) used = components[c * d + j] !== 0;
    if (!used) return j;
  }
  throw new Error("pca.fit: no direction left");
}

/** The codes z = Wᵀ(x − μ) of the rows of `x` (rows × k). Notebook 09 (lecture 003, autoencoders: the encoder of PCA). */
export function transform(model: Pca, x: ArrayLike<number>, rows: number): Float64Array {
  const { d, k, mean, components } = model;
  if (x.length !== rows * d) throw new RangeError(`pca.transform: ${x.length} values are not ${rows} rows of ${d}`);
  const z = new Float64Array(rows * k);
  const centred = new Float64Array(d);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < d; j++) centred[j] = x[r * d + j]! - mean[j]!;
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += components[c * d + j]! * centred[j]!;
      z[r * k + c] = s;
    }
  }
  return z;
}

/** The reconstructions x̂ = μ + W z of codes z (rows × k) as rows × d. Notebook 09 (lecture 003, autoencoders: the decoder of PCA). */
export function reconstruct(model: Pca, z: ArrayLike<number>, rows: number): Float64Array {
  const { d, k, mean, components } = model;
  if (z.length !== rows * k) throw new RangeError(`pca.reconstruct: ${z.length} values are not ${rows} codes of ${k}`);
  const out = new Float64Array(rows * d);
  for (let r = 0; r < rows; r++) {
    out.set(mean, r * d);
    for (let c = 0; c < k; c++) {
      const zc = z[r * k + c]!;
      for (let j = 0; j < d; j++) out[r * d + j]! += zc * components[c * d + j]!;
    }
  }
  return out;
}

/**
 * The training reconstruction error of PCA with `k` components, as the mean squared error per input
 * value: (1/d) Σ_{i>k} λ_i (the variance left out). Notebook 09 (lecture 003, autoencoders: error against code size).
 */
export function residualVariance(model: Pca, k: number): number {
  let s = 0;
  for (let i = k; i < model.variances.length; i++) s += model.variances[i]!;
  return s / model.d;
}

/** The mean squared error per value between two equally long arrays. Notebook 09 (lecture 003, autoencoders: reconstruction error). */
export function meanSquaredError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`meanSquaredError: ${a.length} values against ${b.length}`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return s / a.length;
}

/**
 * An orthonormal basis (k × d row-major, by modified Gram–Schmidt, done twice for accuracy) of the span of
 * the k rows of `basis` (k × d). Throws if the rows are linearly dependent.
 * Notebook 09 (lecture 003, autoencoders: comparing subspaces).
 */
export function orthonormalize(basis: ArrayLike<number>, k: number, d: number): Float64Array {
  if (basis.length !== k * d) throw new RangeError(`orthonormalize: ${basis.length} values are not ${k} vectors of ${d}`);
  const q = Float64Array.from(basis as ArrayLike<number>);
  for (let i = 0; i < k; i++) {
    const qi = q.subarray(i * d, i * d + d);
    let original = 0;
    for (let t = 0; t < d; t++) original += qi[t]! * qi[t]!;
    for (let pass = 0; pass < 2; pass++) {
      for (let j = 0; j < i; j++) {
        const qj = q.subarray(j * d, j * d + d);
        let dot = 0;
        for (let t = 0; t < d; t++) dot += qi[t]! * qj[t]!;
        for (let t = 0; t < d; t++) qi[t]! -= dot * qj[t]!;
      }
    }
    let norm = 0;
    for (let t = 0; t < d; t++) norm += qi[t]! * qi[t]!;
    if (!(norm > 1e-20 * Math.max(original, 1e-300))) throw new Error(`orthonormalize: vector ${i} lies in the span of the earlier ones`);
    const inv = 1 / Math.sqrt(norm);
    for (let t = 0; t < d; t++) qi[t]! *= inv;
  }
  return q;
}

/**
 * The principal angles θ_1 ≤ … ≤ θ_m (radians, m = min(kA, kB)) between the spans of the rows of `a`
 * (kA × d) and of `b` (kB × d): cos θ_i are the singular values of Q_aᵀ Q_b for orthonormal bases Q_a, Q_b
 * (Björck and Golub, 1973). All zero iff one subspace contains the other; the largest is the worst direction.
 * Notebook 09 (lecture 003, autoencoders: a linear autoencoder's code spans the principal subspace).
 */
export function principalAngles(a: ArrayLike<number>, kA: number, b: ArrayLike<number>, kB: number, d: number): Float64Array {
  const qa = orthonormalize(a, kA, d);
  const qb = orthonormalize(b, kB, d);
  const [small, large, ks, kl] = kA <= kB ? [qa, qb, kA, kB] : [qb, qa, kB, kA];
  // M = Q_s Q_lᵀ (ks × kl); the squared singular values are the eigenvalues of M Mᵀ (ks × ks).
  const m = new Float64Array(ks * kl);
  for (let i = 0; i < ks; i++) {
    for (let j = 0; j < kl; j++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += small[i * d + t]! * large[j * d + t]!;
      m[i * kl + j] = s;
    }
  }
  const mmt = new Float64Array(ks * ks);
  for (let i = 0; i < ks; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let t = 0; t < kl; t++) s += m[i * kl + t]! * m[j * kl + t]!;
      mmt[i * ks + j] = s;
      mmt[j * ks + i] = s;
    }
  }
  const { values } = symmetricEigen(mmt, ks);
  // Largest cosine first = smallest angle first. Small angles from acos lose accuracy; for an angle below
  // ~1e-4 use asin of the sine, √(1 − cos²), instead (still limited by rounding near 0).
  return Float64Array.from(values, (c2) => {
    const c = Math.sqrt(Math.min(Math.max(c2, 0), 1));
    return c > 0.9999 ? Math.asin(Math.sqrt(Math.max(0, 1 - c2))) : Math.acos(c);
  });
}
