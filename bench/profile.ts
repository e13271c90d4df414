/**
 * A per-kernel CPU-time profile of a training step, for the benches: every kernel registered for the backend is
 * wrapped to time itself with `process.cpuUsage` (CPU time, unlike `tf.profile`'s wall time, barely moves
 * when other jobs share the machine); a kernel called from inside another counts towards the outer one. The
 * minimum over the runs is kept per kernel, and the step's own CPU time gives what runs outside kernels
 * (the engine, the layers API, the tape).
 */
import { tf } from "../lib/src/tfjs/backend";

export interface KernelTime {
  kernel: string;
  calls: number;
  ms: number;
}

export interface StepProfile {
  /** CPU ms of the whole step (the minimum over the runs). */
  stepMs: number;
  /** Per kernel, most expensive first. */
  kernels: KernelTime[];
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Profiles `step` `runs` times on the active backend. */
export async function profileKernels(step: () => Promise<void>, runs = 9): Promise<StepProfile> {
  const backendName = tf.getBackend();
  const configs = tf.getKernelsForBackend(backendName);
  let depth = 0;
  let current = new Map<string, { ms: number; calls: number }>();
  for (const config of configs) {
    const inner = config.kernelFunc;
    tf.unregisterKernel(config.kernelName, backendName);
    tf.registerKernel({
      ...config,
      kernelFunc: (args) => {
        if (depth > 0) return inner(args);
        depth++;
        const t0 = cpuMs();
        try {
          return inner(args);
        } finally {
          depth--;
          const t = current.get(config.kernelName) ?? { ms: 0, calls: 0 };
          t.ms += cpuMs() - t0;
          t.calls++;
          current.set(config.kernelName, t);
        }
      },
    });
  }
  const best = new Map<string, { ms: number; calls: number }>();
  let stepMs = Infinity;
  try {
    for (let run = 0; run < runs; run++) {
      current = new Map();
      const t0 = cpuMs();
      await step();
      stepMs = Math.min(stepMs, cpuMs() - t0);
      for (const [name, t] of current) if (t.ms < (best.get(name)?.ms ?? Infinity)) best.set(name, t);
    }
  } finally {
    for (const config of configs) {
      tf.unregisterKernel(config.kernelName, backendName);
      tf.registerKernel(config);
    }
  }
  const kernels = [...best].map(([kernel, t]) => ({ kernel, ...t })).sort((a, b) => b.ms - a.ms);
  return { stepMs, kernels };
}

/** Prints a profile as a table: the top kernels, the kernels' total and the rest of the step. */
export function printProfile(title: string, profile: StepProfile, top = 12): void {
  const inKernels = profile.kernels.reduce((s, k) => s + k.ms, 0);
  const calls = profile.kernels.reduce((s, k) => s + k.calls, 0);
  console.log(`${title}: ${profile.stepMs.toFixed(1)} ms CPU per step, ${inKernels.toFixed(1)} ms in ${calls} kernel calls (per kernel the least of the runs)`);
  const rows = profile.kernels.slice(0, top).map((k) => ({ kernel: k.kernel, calls: k.calls, "ms (CPU)": k.ms.toFixed(2), share: `${((100 * k.ms) / profile.stepMs).toFixed(1)} %` }));
  const rest = Math.max(profile.stepMs - inKernels, 0);
  rows.push({ kernel: "(outside kernels)", calls: 0, "ms (CPU)": rest.toFixed(2), share: `${((100 * rest) / profile.stepMs).toFixed(1)} %` });
  console.table(rows);
}
