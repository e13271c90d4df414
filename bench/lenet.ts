/**
 * LeNet-5 training throughput (images/s, batch 64) on every available TensorFlow.js backend and, when
 * Debian's python3-torch is installed, the same network in PyTorch in the same run; then a per-kernel profile
 * of one wasm training step. The measurements alternate, tfjs then PyTorch, for `--rounds` rounds, and the best
 * round of each (least CPU time per step) is reported with both wall and CPU time; the ratio is taken on CPU
 * time, the fair measure on a shared machine. Usage:
 *   npm run bench:lenet [-- --seconds 3 --rounds 3 --backends wasm,cpu --batch 64 --no-torch --no-profile]
 */
import { loadavg } from "node:os";
import { best, timeSteps, TorchReference, type StepTime } from "./torch";
import { printProfile, profileKernels, type StepProfile } from "./profile";
import { lenet5 } from "../lib/src/tfjs/architectures";
import { seed } from "../lib/src/core/random";
import { BACKENDS, initBackend, tf, type BackendName } from "../lib/src/tfjs/backend";

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const BATCH = Number(option("batch") ?? 64);

interface Result extends StepTime {
  backend: string;
  imagesPerSecond: number;
}


function batch() {
  return tf.tidy(() => ({
    x: tf.randomNormal([BATCH, 28, 28, 1], 0, 1, "float32", 1),
    y: tf.oneHot(tf.randomUniform([BATCH], 0, 10, "int32", 2), 10),
  }));
}

function compiled(): tf.Sequential {
  const model = lenet5();
  model.compile({ optimizer: tf.train.adam(1e-3), loss: "categoricalCrossentropy" });
  return model;
}

async function throughput(backend: BackendName, seconds: number): Promise<Result> {
  await initBackend(backend);
  seed(0);
  const model = compiled();
  const { x, y } = batch();
  const time = await timeSteps(() => model.trainOnBatch(x, y), seconds, 2, 2);
  tf.dispose([x, y]);
  model.dispose();
  return { backend, impl: backend, imagesPerSecond: (1000 * BATCH) / time.msPerStep, ...time };
}

/** A per-kernel CPU-time profile of one wasm training step (the least of 9 steps per kernel). */
async function profileStep(): Promise<StepProfile> {
  seed(0);
  const model = compiled();
  const { x, y } = batch();
  for (let i = 0; i < 2; i++) await model.trainOnBatch(x, y);
  const profile = await profileKernels(async () => {
    await model.trainOnBatch(x, y);
  });
  tf.dispose([x, y]);
  model.dispose();
  return profile;
}

async function main(): Promise<void> {
  const seconds = Number(option("seconds") ?? 3);
  const rounds = Number(option("rounds") ?? 3);
  let wanted = (option("backends") ?? BACKENDS.join(",")).split(",");
  console.log(`LeNet-5 training, batch ${BATCH}, Adam; ${rounds} rounds of ${seconds} s per backend; load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
  const torch = process.argv.includes("--no-torch") ? "PyTorch skipped (--no-torch)" : TorchReference.start("lenet_torch.py", [String(BATCH)]);
  if (typeof torch === "string") console.log(torch);
  const measured: Result[][] = [];
  for (let round = 0; round < rounds; round++) {
    const results: Result[] = [];
    for (const name of wanted) {
      try {
        results.push(await throughput(name as BackendName, seconds));
      } catch (error) {
        console.log(`${name}: skipped (${(error as Error).message.split("\n")[0]})`);
        wanted = wanted.filter((w) => w !== name);
      }
    }
    if (typeof torch !== "string") results.push(...((await torch.round(seconds, 1)) as Result[]));
    measured.push(results);
  }
  if (typeof torch !== "string") torch.close();
  const results = best(measured) as Result[];
  const reference = results.find((r) => r.impl.startsWith("pytorch"));
  console.log(`best of ${rounds} rounds per implementation (least CPU time per step):`);
  console.table(
    results.map((r) => ({
      backend: r.backend,
      "ms/step (wall)": r.msPerStep.toFixed(1),
      "ms/step (CPU)": r.cpuMsPerStep.toFixed(1),
      "images/s (CPU)": Math.round((1000 * BATCH) / r.cpuMsPerStep),
      ...(reference ? { [`× ${reference.impl} (CPU)`]: (reference.cpuMsPerStep / r.cpuMsPerStep).toFixed(3) } : {}),
    })),
  );
  if (wanted.includes("wasm") && !process.argv.includes("--no-profile")) {
    await initBackend("wasm");
    printProfile("wasm profile of one training step", await profileStep());
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
