/**
 * Recurrent training speed: ms per training step (forward, BPTT, Adam) of a one-layer recurrent model
 * (sequence → LSTM/GRU/SimpleRNN → last state → dense 1, MSE) with the lib's fused layer (`rnnTf.Recurrent`)
 * and the stock tfjs layer on the same backend, and PyTorch on one thread when Debian's python3-torch is
 * installed, side by side in one run. Wall and CPU time per step are both reported (CPU time is the fair
 * measure on a shared machine). The measurements alternate, tfjs then PyTorch (one thread), for `--rounds`
 * rounds, and the best round of each implementation (least CPU time per step) is reported; `--profile` adds a
 * per-kernel CPU profile of one fused LSTM step; `--seq2seq` adds notebook 07's encoder–decoder with attention
 * (batch 64, 6 source and 5 target steps, embedding 32, 64 units), on fused layers and on stock ones. Usage:
 *   npm run bench:rnn [-- --seconds 3 --rounds 3 --batch 32 --steps 50 --features 32 --units 64 --kinds lstm,gru,simpleRNN --backend wasm --no-torch --no-stock --profile --seq2seq]
 */
import { loadavg } from "node:os";
import { best, timeSteps, TorchReference, type StepTime } from "./torch";
import { printProfile, profileKernels } from "./profile";
import { seed } from "../lib/src/core/random";
import { initBackend, tf, type BackendName } from "../lib/src/tfjs/backend";
import { seq2seqAttention } from "../lib/src/tfjs/language";
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
const ROUNDS = Number(option("rounds", "3"));

interface Result extends StepTime {
  kind: string;
}

async function measure(kind: RecurrentKind, fast: boolean): Promise<Result> {
  seed(0);
  const model = sequenceModel({ kind, units: [UNITS], steps: STEPS, features: FEATURES, fast });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: "meanSquaredError" });
  const x = tf.randomNormal([BATCH, STEPS, FEATURES], 0, 1, "float32", 1);
  const y = tf.randomNormal([BATCH, 1], 0, 1, "float32", 2);
  const time = await timeSteps(() => model.trainOnBatch(x, y), SECONDS, 3, 3);
  tf.dispose([x, y]);
  model.dispose();
  return { kind, impl: `tfjs ${BACKEND} ${fast ? "reti fused" : "stock layer"}`, ...time };
}

/** A training step of notebook 07's encoder–decoder with attention (its sizes, random symbols). */
async function measureSeq2seq(kind: "lstm" | "gru", fast: boolean): Promise<Result> {
  seed(0);
  const [batch, sourceLength, targetLength, sourceVocab, targetVocab] = [64, 6, 5, 42, 13];
  const { model } = seq2seqAttention({ sourceVocab, targetVocab, sourceLength, targetLength, embedding: 32, units: 64, cell: kind, fast });
  model.compile({ optimizer: tf.train.adam(0.01), loss: "categoricalCrossentropy" });
  const x = [tf.randomUniform([batch, sourceLength], 0, sourceVocab, "int32", 1), tf.randomUniform([batch, targetLength], 0, targetVocab, "int32", 2)];
  const y = tf.oneHot(tf.randomUniform([batch, targetLength], 0, targetVocab, "int32", 3) as tf.Tensor2D, targetVocab).cast("float32");
  const time = await timeSteps(() => model.trainOnBatch(x, y), SECONDS, 3, 3);
  tf.dispose([...x, y]);
  model.dispose();
  return { kind, impl: `tfjs ${BACKEND} ${fast ? "reti fused" : "stock layer"}`, ...time };
}

/** The best round per kind and implementation (least CPU time per step). */
function bestPerKind(rounds: Result[][]): Result[] {
  return best(rounds.map((r) => r.map((x) => ({ ...x, impl: `${x.kind}\u0000${x.impl}` })))).map((x) => ({ ...x, impl: x.impl.split("\u0000")[1]! })) as Result[];
}

/** A row per kind and implementation, with its CPU time as a ratio to the row of its kind that `ratio.pick` names. */
function printTable(title: string, kinds: readonly string[], results: Result[], ratio: { label: string; pick: (r: Result) => boolean }): void {
  console.log(title);
  console.table(
    kinds.flatMap((kind) => {
      const rows = results.filter((r) => r.kind === kind);
      const reference = rows.find(ratio.pick);
      return rows.map((r) => ({
        kind,
        implementation: r.impl,
        "ms/step (wall)": r.msPerStep.toFixed(1),
        "ms/step (CPU)": r.cpuMsPerStep.toFixed(1),
        ...(reference ? { [ratio.label]: (r.cpuMsPerStep / reference.cpuMsPerStep).toFixed(2) } : {}),
      }));
    }),
  );
}

async function main(): Promise<void> {
  await initBackend(BACKEND);
  console.log(`recurrent training step: batch ${BATCH}, ${STEPS} steps, ${FEATURES} features, ${UNITS} units → dense 1, MSE, Adam; ${SECONDS} s each; load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
  const impls = process.argv.includes("--no-stock") ? [true] : [true, false];
  const ref = process.argv.includes("--no-torch")
    ? "PyTorch skipped (--no-torch)"
    : TorchReference.start("rnn_torch.py", [String(BATCH), String(STEPS), String(FEATURES), String(UNITS), KINDS.join(",")]);
  if (typeof ref === "string") console.log(ref);
  const rounds: Result[][] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const results: Result[] = [];
    for (const kind of KINDS) for (const fast of impls) results.push(await measure(kind, fast));
    if (typeof ref !== "string") results.push(...((await ref.round(SECONDS, KINDS.length)) as Result[]));
    rounds.push(results);
  }
  if (typeof ref !== "string") ref.close();
  printTable(`best of ${ROUNDS} rounds per implementation (least CPU time per step):`, KINDS, bestPerKind(rounds), {
    label: "CPU time ÷ PyTorch 1 thread",
    pick: (r) => r.impl.startsWith("pytorch") && r.impl.includes("(1 thread)"),
  });
  if (process.argv.includes("--seq2seq")) {
    const kinds = KINDS.filter((k): k is "lstm" | "gru" => k !== "simpleRNN");
    const seqRounds: Result[][] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const results: Result[] = [];
      for (const kind of kinds) for (const fast of [true, false]) results.push(await measureSeq2seq(kind, fast));
      seqRounds.push(results);
    }
    printTable(`encoder–decoder with attention (notebook 07), training step: best of ${ROUNDS} rounds (least CPU time per step):`, kinds, bestPerKind(seqRounds), {
      label: "CPU time ÷ stock",
      pick: (r) => r.impl.endsWith("stock layer"),
    });
  }
  if (process.argv.includes("--profile")) {
    seed(0);
    const model = sequenceModel({ kind: "lstm", units: [UNITS], steps: STEPS, features: FEATURES, fast: true });
    model.compile({ optimizer: tf.train.adam(1e-3), loss: "meanSquaredError" });
    const x = tf.randomNormal([BATCH, STEPS, FEATURES], 0, 1, "float32", 1);
    const y = tf.randomNormal([BATCH, 1], 0, 1, "float32", 2);
    for (let i = 0; i < 3; i++) await model.trainOnBatch(x, y);
    printProfile(`fused LSTM training step on ${BACKEND}`, await profileKernels(async () => void (await model.trainOnBatch(x, y))));
    tf.dispose([x, y]);
    model.dispose();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
