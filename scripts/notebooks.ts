/**
 * `npm run notebooks -- [paths or globs] [options]`: the course's notebooks through nbconvert-ts-runner
 * (packages/nbconvert-ts-runner): default notebooks/*.ipynb into build/executed/, `--quick` for
 * QUICK = true, `--static` for PNGs beside the plots, and a fresh `reti` build checked first.
 */
import { main } from "nbconvert-ts-runner";
import { libBuildProblem, usesLib } from "./lib/command";

const USAGE = `  --quick                  shorthand for -p QUICK true
  --static                 add a static PNG to every plot output (reads where scripts don't run; needs Chromium)`;

main(process.argv.slice(2), {
  program: "npm run notebooks --",
  defaultPatterns: ["notebooks/*.ipynb"],
  defaultOutputDir: "build/executed",
  options: { quick: { type: "boolean" }, static: { type: "boolean" } },
  usage: USAGE,
  extend: (values) => ({
    ...(values.quick ? { params: { QUICK: true } } : {}),
    check: async (_file, nb) => (usesLib(nb) ? libBuildProblem() : null),
    // Loaded on demand: the renderer (Chromium, playwright) takes ~0.5 s to load and only --static needs it.
    ...(values.static
      ? {
          transform: async (nb) => (await import("./lib/figures")).withStaticImages(nb),
          finish: async () => (await import("./lib/render")).closeSharedRenderer(),
        }
      : {}),
  }),
});
