/**
 * A PyTorch reference process for the benches, kept alive so that its measurements interleave with the
 * TensorFlow.js ones: round 1 tfjs, round 1 PyTorch, round 2 tfjs, … On a machine shared with other jobs the
 * load changes from second to second, so only rounds taken close together compare, and the best round of
 * each side (least disturbed) is the figure to report. The script is run as `python3 script --serve args…`:
 * it builds its model once, then for every line "seconds" read on stdin prints one JSON line per
 * configuration measured (wall and CPU milliseconds per training step), and exits at end of input.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";

export const PYTHON = "/usr/bin/python3";

/** One measurement: wall and CPU milliseconds per training step of one implementation. */
export interface StepTime {
  /** What was measured (e.g. "pytorch 1.13.0 (1 thread)"). */
  impl: string;
  msPerStep: number;
  cpuMsPerStep: number;
  [key: string]: unknown;
}

/**
 * Times the tfjs side the way bench/torch_timing.py times PyTorch's: `step` run for about `seconds` (at least
 * `minSteps` times) after `warmUp` unmeasured runs; wall and CPU (this process) milliseconds per step.
 */
export async function timeSteps(step: () => Promise<unknown>, seconds: number, minSteps: number, warmUp: number): Promise<{ msPerStep: number; cpuMsPerStep: number }> {
  for (let i = 0; i < warmUp; i++) await step();
  let steps = 0;
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  while (steps < minSteps || performance.now() - start < seconds * 1000) {
    await step();
    steps++;
  }
  const wall = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  return { msPerStep: wall / steps, cpuMsPerStep: (cpu.user + cpu.system) / 1000 / steps };
}

/** A running PyTorch reference, or the reason there is none. */
export class TorchReference {
  private child: ChildProcessWithoutNullStreams;
  private lines: AsyncIterator<string>;

  private constructor(child: ChildProcessWithoutNullStreams) {
    this.child = child;
    this.lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  }

  /** Starts `script` (a file next to this one) in serve mode, or returns why PyTorch is unavailable. */
  static start(script: string, args: string[]): TorchReference | string {
    const probe = spawnSync(PYTHON, ["-c", "import torch"], { encoding: "utf8" });
    if (probe.status !== 0) return `PyTorch not available (${PYTHON} -c "import torch" failed; apt-get install python3-torch)`;
    const path = new URL(`./${script}`, import.meta.url).pathname;
    const child = spawn(PYTHON, [path, "--serve", ...args], {
      env: { ...process.env, OPENBLAS_NUM_THREADS: "1", OMP_NUM_THREADS: "1" },
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (text: string) => process.stderr.write(text));
    return new TorchReference(child);
  }

  /** Measures for about `seconds` and returns the `count` results the script prints per round. */
  async round(seconds: number, count: number): Promise<StepTime[]> {
    this.child.stdin.write(`${seconds}\n`);
    const out: StepTime[] = [];
    for (let i = 0; i < count; i++) {
      const next = await this.lines.next();
      if (next.done) throw new Error("the PyTorch reference exited early (see its messages above)");
      out.push(JSON.parse(next.value) as StepTime);
    }
    return out;
  }

  /** Ends the process. */
  close(): void {
    this.child.stdin.end();
  }
}

/** Keeps, per implementation, the round with the least CPU time per step. */
export function best(rounds: StepTime[][]): StepTime[] {
  const byImpl = new Map<string, StepTime>();
  for (const round of rounds) {
    for (const r of round) {
      const seen = byImpl.get(r.impl);
      if (seen === undefined || r.cpuMsPerStep < seen.cpuMsPerStep) byImpl.set(r.impl, r);
    }
  }
  return [...byImpl.values()];
}
