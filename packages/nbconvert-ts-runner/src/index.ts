/**
 * nbconvert-ts-runner: executes Jupyter notebooks on TypeScript (tslab) kernels, headless, the way
 * `jupyter nbconvert --to notebook --execute` and papermill do for Python — locally over ZeroMQ or
 * on a running Jupyter server over its REST and WebSocket APIs. See README.md.
 */
export * from "./nbformat";
export {
  connectionFilePrefix,
  defaultTslabDir,
  describeExit,
  Kernel,
  KERNEL_PRELOAD,
  KernelDiedError,
  KernelStartError,
  KernelTimeoutError,
  MessageKernel,
  readPeakRssKb,
  TSLAB_WATCH_ENV,
  tslabKernelArgs,
  tslabKernelSpec,
  type Channel,
  type ExecuteOptions,
  type ExecuteReply,
  type JupyterMessage,
  type KernelExit,
  type KernelOptions,
  type MessageHeader,
} from "./kernel";
export * from "./runner";
export { KernelPool } from "./pool";
export { ServerKernel, type ServerOptions } from "./server";
export { expandGlob, expandGlobs, formatDuration, isGlob } from "./util";
export { main, outputPath, papermillParams, runCli, type CliConfig, type CliExtension } from "./cli";
