/**
 * The grading worker: runs inside a submission's sandbox (sandbox.ts), executes one prepared notebook
 * on a tslab kernel started beside it, and prints one result line on stdout. It decides nothing: its
 * result is a list of claims (each cell's status, error text and capped stdout) that the grader checks
 * outside the sandbox (verdict.ts), because the student's code can take control of this process too.
 *
 *   node worker.js /job/job.json   →  stdout: "RETI-WORKER-RESULT " + JSON (WorkerResult)
 *
 * Bundled with its imports by sandbox.ts (esbuild) into the grading runtime, so it needs no TypeScript
 * loader inside the sandbox. Serves every lecture's exercises.
 */
import { readFileSync } from "node:fs";
import { Kernel, KernelDiedError, KernelTimeoutError, type JupyterMessage } from "nbconvert-ts-runner";
import type { Notebook } from "nbconvert-ts-runner";
import { parseErrorText } from "nbconvert-ts-runner";

/** What the grader asks the worker to run. */
export interface WorkerJob {
  /** The notebook to run, parameters already injected; every code cell is executed in order. */
  notebook: Notebook;
  /** The kernel's working folder (inside the sandbox). */
  cwd: string;
  tslabDir: string;
  cellTimeoutMs: number;
  /** Time limit of the first cell (the grader's helper: its compile loads TypeScript and the lib's types). */
  firstCellTimeoutMs: number;
  notebookTimeoutMs: number;
  maxOldSpaceMb: number;
  /** Node options for the kernel (the permission model). */
  nodeArgs: string[];
  /** Characters of stdout kept per cell (the rest is counted, not kept). */
  stdoutCap: number;
  /** Characters of error text kept per cell. */
  errorCap: number;
  /** Stop every cell after this one fails (the reference run) or go on (a student's run). */
  stopOnError: boolean;
}

/** One code cell as the worker saw it run. */
export interface WorkerCell {
  /** Index of the cell in the job's notebook. */
  index: number;
  status: "ok" | "error" | "timeout" | "died" | "not-run";
  /** Error text (capped). */
  error?: string;
  /** The error's class and message as tslab printed them. */
  ename?: string;
  evalue?: string;
  /** stdout text (capped to stdoutCap characters). */
  stdout: string;
  /** Characters of stdout dropped by the cap. */
  dropped: number;
  durationMs: number;
}

export interface WorkerResult {
  kernelStartMs: number;
  cells: WorkerCell[];
  /** Set when the kernel could not be started. */
  startError?: string;
}

export const RESULT_PREFIX = "RETI-WORKER-RESULT ";

/** CPU seconds (user + system) the process has used, from /proc; undefined where /proc is missing. */
function cpuSeconds(pid: number | undefined): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100 Hz on Linux)
  } catch {
    return undefined;
  }
}

function cap(text: string, n: number): string {
  return text.length <= n ? text : text.slice(0, n) + `… [${text.length - n} more characters]`;
}

export async function runJob(job: WorkerJob): Promise<WorkerResult> {
  const cells: WorkerCell[] = job.notebook.cells.flatMap((c, index) =>
    c.cell_type === "code" ? [{ index, status: "not-run" as const, stdout: "", dropped: 0, durationMs: 0 }] : []);
  let kernel: Kernel;
  try {
    kernel = await Kernel.start({ cwd: job.cwd, tslabDir: job.tslabDir, maxOldSpaceMb: job.maxOldSpaceMb, nodeArgs: job.nodeArgs, startTimeoutMs: 120_000 });
  } catch (err) {
    return { kernelStartMs: 0, cells, startError: cap(String((err as Error).message), job.errorCap) };
  }
  const deadline = Date.now() + job.notebookTimeoutMs;
  let stop: string | undefined;
  try {
    for (const cell of cells) {
      if (stop) {
        cell.error = stop;
        continue;
      }
      const source = job.notebook.cells[cell.index]!.source;
      const code = Array.isArray(source) ? source.join("") : String(source);
      let stdout = "";
      let stderr = "";
      const onIopub = (m: JupyterMessage) => {
        if (m.header.msg_type !== "stream") return;
        const text = String(m.content.text ?? "");
        if (m.content.name === "stderr") {
          stderr = (stderr + text).slice(-job.errorCap * 4);
          return;
        }
        const room = job.stdoutCap - stdout.length;
        if (room >= text.length) stdout += text;
        else {
          if (room > 0) stdout += text.slice(0, room);
          cell.dropped += text.length - Math.max(0, room);
        }
      };
      const t0 = Date.now();
      const timeoutMs = Math.max(0, Math.min(cell === cells[0] ? Math.max(job.firstCellTimeoutMs, job.cellTimeoutMs) : job.cellTimeoutMs, deadline - Date.now()));
      // The limit is on the kernel's CPU time, so a machine busy with other work does not stop an honest
      // cell; wall time is capped at 4× the limit (a cell waiting forever uses no CPU).
      const cpu0 = cpuSeconds(kernel.pid);
      let overCpu = false;
      const watchdog = cpu0 === undefined ? undefined : setInterval(() => {
        const used = (cpuSeconds(kernel.pid) ?? cpu0) - cpu0;
        if (used * 1000 > timeoutMs) {
          overCpu = true;
          void kernel.kill();
        }
      }, 250);
      try {
        const reply = await kernel.execute(code, { timeoutMs: cpu0 === undefined ? timeoutMs : timeoutMs * 4, onIopub });
        if (reply.status === "ok") cell.status = "ok";
        else {
          cell.status = "error";
          const { ename, evalue } = parseErrorText(stderr);
          cell.ename = cap(ename, 80);
          cell.evalue = cap(evalue, job.errorCap);
          cell.error = cap(stderr.trim() || `${ename}: ${evalue}`, job.errorCap);
          if (job.stopOnError) stop = "not run: an earlier cell failed";
        }
      } catch (err) {
        if (err instanceof KernelTimeoutError) {
          cell.status = "timeout";
          cell.error = `time limit reached (${Math.round(timeoutMs / 1000)} s)`;
          stop = "not run: the kernel was stopped after a timeout";
          await kernel.kill();
        } else if (err instanceof KernelDiedError && overCpu) {
          cell.status = "timeout";
          cell.error = `CPU time limit reached (${Math.round(timeoutMs / 1000)} s)`;
          stop = "not run: the kernel was stopped after a timeout";
        } else if (err instanceof KernelDiedError) {
          cell.status = "died";
          cell.error = cap(err.message, job.errorCap);
          stop = "not run: the kernel had stopped";
        } else throw err;
      } finally {
        if (watchdog) clearInterval(watchdog);
        cell.stdout = stdout;
        cell.durationMs = Date.now() - t0;
      }
    }
  } finally {
    await kernel.kill();
  }
  return { kernelStartMs: kernel.startMs, cells };
}

if (require.main === module) {
  const job = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as WorkerJob;
  runJob(job).then(
    (result) => {
      process.stdout.write(RESULT_PREFIX + JSON.stringify(result) + "\n", () => process.exit(0));
    },
    (err) => {
      process.stderr.write(`worker: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(3);
    },
  );
}
