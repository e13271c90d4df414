/**
 * reti: the course's shared typed library (Italian "reti" = networks), in layers (docs/architecture.md):
 * core (checks, randomness, small maths), scratch (the lectures' maths on plain arrays), data,
 * tfjs (backend, kernels, models, training, the bridge to scratch), display, runtime (tslab internals).
 * Import it by name from any notebook: `import { show, seed } from "reti"`. Modules whose names are
 * generic (forward, parameters, evaluate, …) are namespaces: `import { backprop } from "reti"`, then
 * `backprop.forward(net, X)`. test/barrel.test.ts imports the whole barrel.
 */
export * from "./core/check";
export * from "./core/random";
export * from "./core/grid";
export * from "./core/metrics";
export * from "./core/stats";
export * from "./core/graph";
export * from "./scratch/activations";
export * from "./scratch/perceptron";
export * from "./scratch/hebb";
export * from "./scratch/mlp";
export * from "./scratch/autodiff";
export * from "./scratch/losses";
export * as backprop from "./scratch/backprop";
export * from "./scratch/gradcheck";
export * from "./scratch/optim";
export * from "./scratch/schedules";
export * from "./scratch/init";
export * from "./scratch/conv";
export * as regularize from "./scratch/regularize";
export * as tuning from "./scratch/tuning";
export * as envs from "./scratch/envs";
export * as rl from "./scratch/rl";
export * as pca from "./scratch/pca";
export * as rnn from "./scratch/rnn";
export * as forecast from "./scratch/forecast";
export * as embed from "./scratch/embeddings";
export * as nlp from "./scratch/language";
export * from "./data/dataset";
export * from "./data/toy";
export * from "./data/mnist";
export * from "./data/datasets";
export * as augment from "./data/augment";
export * as sequences from "./data/sequences";
export * as text from "./data/text";
export * from "./tfjs/backend";
export * from "./tfjs/bridge";
export * from "./tfjs/architectures";
export * from "./tfjs/train";
export * as regularizeTf from "./tfjs/regularizeTf";
export * as dqn from "./tfjs/dqn";
export * as autoenc from "./tfjs/autoencoders";
export * from "./display/style";
export * from "./display/charts";
export * from "./display/plane";
export * from "./display/images";
export * from "./display/subplots";
export * from "./display/table";
export { showSource, sourceOf, highlightTs, type SourceExcerpt, type SourceOptions } from "./display/source";
export * as rnnTf from "./tfjs/recurrent";
export * as nlpTf from "./tfjs/language";
export * from "./display/graph";
export * from "./display/png";
export * from "./display/display";
export * from "./display/live";
export * as rlplot from "./display/rlplot";
export * as textPlot from "./display/language";
export { inKernel, displayBundle, type DisplayBundle } from "./runtime/tslab";
