/**
 * `npm run hub`: serves the course to a class on this machine with JupyterHub (one notebook server per
 * student, each starting from the student release, with the course's TypeScript kernel).
 * Options: --port N (8000), --ip ADDR (127.0.0.1), --password PW (else $HUB_PASSWORD, else a random one
 * printed at start), --allow-remote (serve beyond loopback; configure real authentication first),
 * --server notebook|server (the classic Notebook, default, or jupyter_server); --prepare-workspace DIR only
 * writes the students' starting notebooks (for a container image). Ctrl-C stops the hub,
 * its proxy and every student server. See docs/hub.md.
 */
import { parseArgs } from "node:util";
import { defaultHubOptions, prepareWorkspace, startHub } from "./lib/hub";

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: "string" },
      ip: { type: "string" },
      password: { type: "string" },
      "allow-remote": { type: "boolean" },
      server: { type: "string" },
      "prepare-workspace": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log("usage: npm run hub [-- --port 8000] [--ip 127.0.0.1] [--password PW] [--allow-remote] [--server notebook|server]");
    return 0;
  }
  if (values["prepare-workspace"] !== undefined) {
    const names = await prepareWorkspace(values["prepare-workspace"]);
    console.log(`${names.length} notebooks for students in ${values["prepare-workspace"]}`);
    return 0;
  }
  const options = defaultHubOptions();
  if (values.port !== undefined) options.port = Number(values.port);
  if (values.ip !== undefined) options.ip = values.ip;
  if (values.password !== undefined) options.password = values.password;
  if (values["allow-remote"]) options.allowRemote = true;
  if (values.server !== undefined) {
    if (values.server !== "notebook" && values.server !== "server") throw new Error(`hub: --server takes notebook or server, got ${values.server}`);
    options.singleUserApp = values.server;
  }
  if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) throw new Error(`hub: --port takes a port number, got ${values.port}`);
  const hub = await startHub(options);
  console.log(`\nThe course is served at ${hub.url}/hub/login — any user name, password: ${options.password}`);
  console.log("Each student starts from the student release; Ctrl-C stops the hub and every student server.\n");
  await new Promise<void>((resolve) => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, resolve);
    hub.process.once("exit", () => resolve());
  });
  console.log("Stopping the hub…");
  await hub.stop();
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: Error) => {
      console.error(e.message);
      process.exit(1);
    },
  );
}
