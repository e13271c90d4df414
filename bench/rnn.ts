/**
 * Recurrent training speed: ms per training step (forward, BPTT, Adam) of a one-layer recurrent model
 * (sequence → LSTM/GRU/SimpleRNN → last state → dense 1, MSE) with the lib's fused layer (`rnnTf.Recurrent`)
 * and the stock tfjs layer on the same backend, and PyTorch on one thread when Debian's python3-torch is
 * installed, side by side in one run. Wall and CPU time per step are both reported (CPU time is the fair
 * measure on a shared machine). Usage:
 *   npm run bench:rnn [-- --seconds 3 --batch 32 --steps 50 --features 32 --units 64 --kinds lstm,gru,simpleRNN --backend wasm --no-torch --threads 1]
 */
import { spawnSync } from "node:child_process";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { seed } from "../lib/src/core/random";
import { initBackend, tf, type BackendName } from "../lib/src/tfjs/backend";
import { sequenceModel, type RecurrentKind } from "../lib/src/tfjs/recurrent";

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

const SECONDS = Number(option("seconds", "3"));
const BATCH = Number(option("batch", "32"));
const STEPS = Number(option("steps", "50"));
const FEATURES = Number(option("features", "32"));
const UNITS = Number(option("units", "64"));
const KINDS = option("kinds", "lstm,gru,simpleRNN").split(",") as RecurrentKind[];
const BACKEND = option("backend", "wasm") as BackendName;
const THREADS = option("threads", "1");
const PYTHON = "/usr/bin/python3";

interface Result {
  kind: string;
  impl: string;
  msPerStep: number;
  cpuMsPerStep: number;
}

async function measure(kind: RecurrentKind, fast: boolean): Promise<Result> {
  seed(0);
  const model = sequenceModel({ kind, units: [UNITS], steps: STEPS, features: FEATURES, fast });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: "meanSquaredError" });
  const x = tf.randomNormal([BATCH, STEPS, FEATURES], 0, 1, "float32", 1);
  const y = tf.randomNormal([BATCH, 1], 0, 1, "float32", 2);
  for (let i = 0; i < 3; i++) await model.trainOnBatch(x, y);
  let steps = 0;
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  while (steps < 3 || performance.now() - start < SECONDS * 1000) {
    await model.trainOnBatch(x, y);
    steps++;
  }
  const wall = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  tf.dispose([x, y]);
  model.dispose();
  return { kind, impl: `tfjs ${BACKEND} ${fast ? "reti fused" : "stock layer"}`, msPerStep: wall / steps, cpuMsPerStep: (cpu.user + cpu.system) / 1000 / steps };
}

function torch(): Result[] | string {
  const probe = spawnSync(PYTHON, ["-c", "import torch"], { encoding: "utf8" });
  if (probe.status !== 0) return `PyTorch not available (${PYTHON} -c "import torch" failed; apt-get install python3-torch)`;
  const script = fileURLToPath(new URL("./rnn_torch.py", import.meta.url));
  const run = spawnSync(PYTHON, [script, String(SECONDS), String(BATCH), String(STEPS), String(FEATURES), String(UNITS), KINDS.join(","), THREADS], {
    encoding: "utf8",
    env: { ...process.env, OPENBLAS_NUM_THREADS: "1", OMP_NUM_THREADS: "1" },
  });
  if (run.status !== 0) return `PyTorch run failed: ${run.stderr}`;
  return run.stdout.trim().split("\n").map((line) => JSON.parse(line) as Result);
}

async function main(): Promise<void> {
  await initBackend(BACKEND);
  console.log(`recurrent training step: batch ${BATCH}, ${STEPS} steps, ${FEATURES} features, ${UNITS} units → dense 1, MSE, Adam; ${SECONDS} s each; load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
  const results: Result[] = [];
  for (const kind of KINDS) for (const fast of [true, false]) results.push(await measure(kind, fast));
  const ref = process.argv.includes("--no-torch") ? "PyTorch skipped (--no-torch)" : torch();
  if (typeof ref === "string") console.log(ref);
  else results.push(...ref);
  console.table(
    KINDS.flatMap((kind) => {
      const rows = results.filter((r) => r.kind === kind);
      const torchRow = rows.find((r) => r.impl.startsWith("pytorch") && r.impl.includes("(1 thread)"));
      return rows.map((r) => ({
        kind,
        implementation: r.impl,
        "ms/step (wall)": r.msPerStep.toFixed(1),
        "ms/step (CPU)": r.cpuMsPerStep.toFixed(1),
        ...(torchRow ? { "CPU time ÷ PyTorch 1 thread": (r.cpuMsPerStep / torchRow.cpuMsPerStep).toFixed(2) } : {}),
      }));
    }),
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
