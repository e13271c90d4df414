/**
 * reti: the course's shared typed library (Italian "reti" = networks).
 * Import it by name from any notebook: `import { show, seed } from "reti"`.
 */
export * from "./check";
export * from "./random";
export * from "./activations";
export * from "./perceptron";
export * from "./hebb";
export * from "./data";
export * from "./tf";
export * from "./mlp";
export * from "./toy";
export * from "./plot";
export * from "./png";
export * from "./display";
export * from "./live";
export * from "./train";
export * from "./autodiff";
export * from "./losses";
export * from "./backprop";
export * from "./optim";
export * from "./schedules";
export * from "./init";
export * from "./mnist";
export * from "./architectures";
export * from "./datasets";
export * from "./conv";
