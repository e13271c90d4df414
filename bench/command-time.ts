/**
 * Wall and CPU time of a whole command, its children included (kernels, workers), through `/usr/bin/time`
 * (Debian's `time` package), and the median of repeated samples. Serves `npm run bench:runner` and `npm run bench:suite` (issue 20).
 */
import { spawnSync } from "node:child_process";

/** Seconds of one command: wall clock, and CPU as user + system of it and every child it waited for. */
export interface Sample {
  wall: number;
  cpu: number;
}

/** Runs `command` with `args` in `cwd` and times it; throws with its output when it fails. */
export function timed(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Sample & { stdout: string } {
  const r = spawnSync("/usr/bin/time", ["-f", "TIME %e %U %S", command, ...args], { cwd, env, encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`/usr/bin/time could not run (${r.error.message}): install Debian's time package (apt-get install time)`);
  const m = /TIME ([\d.]+) ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`${command} ${args.join(" ")} failed (${r.status}):\n${r.stdout}${r.stderr}`.slice(0, 3000));
  return { wall: Number(m[1]), cpu: Number(m[2]) + Number(m[3]), stdout: r.stdout };
}

/** The median of `xs` (NaN for none): bench:runner's and bench:suite's summaries of repeated runs. */
export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
