import * as path from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // The course's tools and tests use the runner package's sources (as tsx does through tsconfig paths).
    alias: { "nbconvert-ts-runner": path.resolve(__dirname, "packages/nbconvert-ts-runner/src/index.ts") },
  },
  test: {
    include: ["test/**/*.test.ts", "packages/*/test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
