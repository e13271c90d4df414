/**
 * reti: the course's shared typed library (Italian "reti" = networks), in layers (docs/architecture.md):
 * core (checks, randomness, small maths), scratch (the lectures' maths on plain arrays), data,
 * tfjs (backend, kernels, models, training, the bridge to scratch), display, runtime (tslab internals).
 * Import it by name from any notebook: `import { show, seed } from "reti"`.
 */
export * from "./core/check";
export * from "./core/random";
export * from "./core/grid";
export * from "./core/metrics";
export * from "./core/graph";
export * from "./scratch/activations";
export * from "./scratch/perceptron";
export * from "./scratch/hebb";
export * from "./scratch/mlp";
export * from "./scratch/autodiff";
export * from "./scratch/losses";
export * from "./scratch/backprop";
export * from "./scratch/optim";
export * from "./scratch/schedules";
export * from "./scratch/init";
export * from "./scratch/conv";
export * as embed from "./scratch/embeddings";
export * as nlp from "./scratch/language";
export * from "./data/dataset";
export * from "./data/toy";
export * from "./data/mnist";
export * from "./data/datasets";
export * as text from "./data/text";
export * from "./tfjs/backend";
export * from "./tfjs/bridge";
export * from "./tfjs/architectures";
export * from "./tfjs/train";
export * as nlpTf from "./tfjs/language";
export * from "./display/plot";
export * from "./display/graph";
export * from "./display/png";
export * from "./display/display";
export * from "./display/live";
export * as textPlot from "./display/language";
export { inKernel, displayBundle, type DisplayBundle } from "./runtime/tslab";
