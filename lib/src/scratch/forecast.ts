/**
 * The forecasting baselines lecture 004 asks for before any recurrent network: persistence (ŷ_{t+1} = x_t),
 * the seasonal naive forecast (ŷ_{t+1} = x_{t+1−s}) and a linear autoregressive model fitted by least squares;
 * error measures, and recursive multi-step forecasts. Notebook 06 (lecture 004, time series: baselines first).
 */

/** Root-mean-square error. Notebook 06 (forecast table). */
export function rmse(yhat: ArrayLike<number>, y: ArrayLike<number>): number {
  if (yhat.length !== y.length || y.length === 0) throw new RangeError(`rmse: ${yhat.length} predictions for ${y.length} targets`);
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (yhat[i]! - y[i]!) ** 2;
  return Math.sqrt(s / y.length);
}

/** Mean absolute error. Notebook 06 (forecast table). */
export function mae(yhat: ArrayLike<number>, y: ArrayLike<number>): number {
  if (yhat.length !== y.length || y.length === 0) throw new RangeError(`mae: ${yhat.length} predictions for ${y.length} targets`);
  let s = 0;
  for (let i = 0; i < y.length; i++) s += Math.abs(yhat[i]! - y[i]!);
  return s / y.length;
}

/** Persistence (modello di persistenza): the forecast of series[t] is series[t − lag] (lag 1; a season s for the seasonal naive). Notebook 06 (lecture 004). */
export function persistence(series: ArrayLike<number>, targetIndex: ArrayLike<number>, lag = 1): Float32Array {
  return Float32Array.from(targetIndex, (t) => {
    if (t - lag < 0) throw new RangeError(`persistence: target ${t} has no value ${lag} step(s) before it`);
    return series[t - lag]!;
  });
}

/** A linear autoregressive model ŷ = w·(last p values) + b. Notebook 06 (lecture 004, linear baseline). */
export interface LinearAR {
  weights: Float64Array;
  bias: number;
}

/**
 * Least-squares fit of ŷ = w·x + b to rows x [n, p] and targets y (normal equations with a tiny ridge λ for
 * stability, solved by Cholesky). Notebook 06 (lecture 004, "linear model: un semplice regressore lineare").
 */
export function fitLinearAR(x: ArrayLike<number>, y: ArrayLike<number>, p: number, ridge = 1e-6): LinearAR {
  const n = y.length;
  if (x.length !== n * p) throw new RangeError(`fitLinearAR: x has ${x.length} values, expected ${n}×${p}`);
  const d = p + 1;
  const A = new Float64Array(d * d);
  const rhs = new Float64Array(d);
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) row[j] = x[i * p + j]!;
    row[p] = 1;
    for (let a = 0; a < d; a++) {
      rhs[a]! += row[a]! * y[i]!;
      for (let b = 0; b < d; b++) A[a * d + b]! += row[a]! * row[b]!;
    }
  }
  for (let a = 0; a < p; a++) A[a * d + a]! += ridge * n;
  // Cholesky A = L Lᵀ, then two triangular solves.
  const L = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * d + j]!;
      for (let k = 0; k < j; k++) s -= L[i * d + k]! * L[j * d + k]!;
      if (i === j) {
        if (!(s > 0)) throw new Error("fitLinearAR: the normal equations are singular (constant inputs?)");
        L[i * d + i] = Math.sqrt(s);
      } else L[i * d + j] = s / L[j * d + j]!;
    }
  }
  const z = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let s = rhs[i]!;
    for (let k = 0; k < i; k++) s -= L[i * d + k]! * z[k]!;
    z[i] = s / L[i * d + i]!;
  }
  const w = new Float64Array(d);
  for (let i = d - 1; i >= 0; i--) {
    let s = z[i]!;
    for (let k = i + 1; k < d; k++) s -= L[k * d + i]! * w[k]!;
    w[i] = s / L[i * d + i]!;
  }
  return { weights: w.slice(0, p), bias: w[p]! };
}

/** Predictions of a linear AR model for rows x [n, p]. Notebook 06 (lecture 004). */
export function predictLinearAR(model: LinearAR, x: ArrayLike<number>): Float32Array {
  const p = model.weights.length;
  const n = x.length / p;
  return Float32Array.from({ length: n }, (_, i) => {
    let s = model.bias;
    for (let j = 0; j < p; j++) s += model.weights[j]! * x[i * p + j]!;
    return s;
  });
}

/**
 * Recursive multi-step forecast: from the last p values `history`, predict one step, append it, repeat
 * `steps` times. `predict` maps a window (length p) to the next value. Notebook 06 (multi-step forecasts).
 */
export function recursiveForecast(history: ArrayLike<number>, steps: number, predict: (window: Float32Array) => number): Float32Array {
  const p = history.length;
  const buffer = Float32Array.from(history);
  const out = new Float32Array(steps);
  for (let s = 0; s < steps; s++) {
    const next = predict(buffer);
    out[s] = next;
    buffer.copyWithin(0, 1);
    buffer[p - 1] = next;
  }
  return out;
}
