/**
 * MNIST load times: the first load (JSON → verified → binary cache) and a cached load, each in a
 * fresh Node process so nothing is served from memory. Run: `npx tsx bench/mnist.ts`.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const cacheDir = mkdtempSync(join(tmpdir(), "reti-mnist-bench-"));
const probe = `
const { loadMnist } = require(${JSON.stringify(join(__dirname, "..", "lib", "src", "mnist.ts"))});
const t = performance.now();
const { train, test } = loadMnist({ cacheDir: ${JSON.stringify(cacheDir)} });
console.log(JSON.stringify({ ms: performance.now() - t, rows: train.rows + test.rows }));`;
const run = () => JSON.parse(execFileSync("npx", ["tsx", "-e", probe], { encoding: "utf8" }).trim().split("\n").pop()!) as { ms: number; rows: number };
try {
  const first = run();
  const cached = [run(), run(), run()].map((r) => r.ms).sort((a, b) => a - b);
  console.log(`MNIST (${first.rows} images): first load ${first.ms.toFixed(0)} ms, cached load median ${cached[1]!.toFixed(0)} ms (of ${cached.map((m) => m.toFixed(0)).join(", ")})`);
} finally {
  rmSync(cacheDir, { recursive: true, force: true });
}
