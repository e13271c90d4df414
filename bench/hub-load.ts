/**
 * Load test of the course on JupyterHub (`npm run bench:hub -- --students 10,20,40`): for each class size N,
 * a fresh hub on loopback; N simulated students at once get a server (the hub's REST API, as a login
 * does), open 00_setup and run it in quick mode through their server's kernel API (REST + WebSocket,
 * nbconvert-ts-runner's ServerKernel). Reports per class size: time to a ready server, to the first and
 * the last cell, peak memory per student (server + kernel, summed RSS sampled every 0.5 s), failures;
 * as a table (stdout and build/bench/hub-load.md) and a figure (build/bench/hub-load.svg/.png).
 * Bounded: every student has a deadline and the hub is stopped after each size. Local only.
 */
import { promises as fs } from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { executeNotebook, readNotebook, ServerKernel } from "nbconvert-ts-runner";
import { lineChart, subplots } from "../lib/src";
import { defaultHubOptions, processesUnder, startHub, type RunningHub } from "../scripts/lib/hub";
import { Renderer } from "../scripts/lib/render";

interface StudentRun {
  name: string;
  readyS: number;
  firstCellS: number;
  lastCellS: number;
  peakMb: number;
  error?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p > 65000 ? 18000 : p));
    });
    s.on("error", reject);
  });
}

/** Resident memory (MB) of every process working in `dir` or below: a student's server and kernel. */
async function rssUnderMb(dir: string): Promise<number> {
  let kb = 0;
  for (const pid of await processesUnder(dir)) {
    try {
      const m = /VmRSS:\s+(\d+)/.exec(await fs.readFile(`/proc/${pid}/status`, "utf8"));
      if (m) kb += Number(m[1]);
    } catch {
      /* ended */
    }
  }
  return kb / 1024;
}

async function api(hub: RunningHub, method: string, route: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${hub.url}/hub/api${route}`, {
    method,
    headers: { Authorization: `token ${hub.adminToken}`, "Content-Type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok && res.status !== 400) throw new Error(`${method} ${route}: HTTP ${res.status} ${await res.text()}`);
  return res.status === 204 ? null : res.json().catch(() => null);
}

async function student(hub: RunningHub, name: string, home: string, deadlineMs: number, peak: Map<string, number>): Promise<StudentRun> {
  const t0 = Date.now();
  const run: StudentRun = { name, readyS: NaN, firstCellS: NaN, lastCellS: NaN, peakMb: 0 };
  let kernel: ServerKernel | undefined;
  try {
    await api(hub, "POST", `/users/${name}/server`);
    for (;;) {
      const user = (await api(hub, "GET", `/users/${name}`)) as { servers?: Record<string, { ready?: boolean }> };
      if (user.servers?.[""]?.ready) break;
      if (Date.now() > deadlineMs) throw new Error("server not ready before the deadline");
      await sleep(250);
    }
    run.readyS = (Date.now() - t0) / 1000;
    const { token } = (await api(hub, "POST", `/users/${name}/tokens`, { note: "load test", expires_in: 3600 })) as { token: string };
    const nb = await readNotebook(path.join(home, "00_setup.ipynb"));
    let first = NaN;
    const result = await executeNotebook(nb, {
      path: "00_setup.ipynb",
      params: { QUICK: true },
      allowErrors: true, // a student's release raises at each exercise stub, as in Run All; run every cell anyway
      notebookTimeoutMs: Math.max(1000, deadlineMs - Date.now()),
      kernel: async () => (kernel = await ServerKernel.start({ url: `${hub.url}/user/${name}/`, token, kernelName: "reti" })),
      onProgress: (e) => {
        if (e.type === "cell-end" && Number.isNaN(first)) first = Date.now();
      },
    });
    run.firstCellS = (first - t0) / 1000;
    run.lastCellS = (Date.now() - t0) / 1000;
    const failed = result.cells.find((c) => c.status !== "ok" && c.status !== "skipped" && !/exercise not done yet/.test(c.error ?? ""));
    if (failed) run.error = `cell ${failed.index}: ${(failed.error ?? failed.status).split("\n")[0]}`;
  } catch (e) {
    run.error = (e as Error).message.split("\n")[0];
  } finally {
    await kernel?.shutdown().catch(() => undefined);
    run.peakMb = peak.get(name) ?? 0;
  }
  return run;
}

function quantile(xs: number[], q: number): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

async function classOf(n: number, timeoutS: number): Promise<{ n: number; runs: StudentRun[]; totalMb: number; wallS: number }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "reti-hub-load-"));
  const hub = await startHub({ ...defaultHubOptions(), port: await freePort(), dir, workspace: path.join(dir, "workspace") }, "ignore");
  const names = Array.from({ length: n }, (_, i) => `student${String(i + 1).padStart(3, "0")}`);
  const peak = new Map<string, number>();
  let totalPeak = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      let total = 0;
      for (const name of names) {
        const mb = await rssUnderMb(path.join(dir, "users", name));
        total += mb;
        peak.set(name, Math.max(peak.get(name) ?? 0, mb));
      }
      totalPeak = Math.max(totalPeak, total);
      await sleep(500);
    }
  })();
  const started = Date.now();
  try {
    await api(hub, "POST", "/users", { usernames: names });
    const deadline = Date.now() + timeoutS * 1000;
    const runs = await Promise.all(names.map((name) => student(hub, name, path.join(dir, "workspace"), deadline, peak).then((r) => {
      process.stdout.write(r.error ? "x" : ".");
      return r;
    })));
    process.stdout.write("\n");
    return { n, runs, totalMb: totalPeak, wallS: (Date.now() - started) / 1000 };
  } finally {
    sampling = false;
    await sampler;
    await hub.stop();
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { students: { type: "string", default: "10,20,40" }, timeout: { type: "string", default: "600" } } });
  const sizes = values.students!.split(",").map(Number);
  const rows: string[] = [
    "| students | ready server p50 / max (s) | first cell p50 (s) | last cell p50 / max (s) | peak MB per student p50 / max | peak MB all | failures | wall (s) |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  const results = [];
  for (const n of sizes) {
    console.log(`${n} students…`);
    const r = await classOf(n, Number(values.timeout));
    results.push(r);
    const ok = r.runs.filter((x) => !x.error);
    const f = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : "–");
    rows.push(
      `| ${n} | ${f(quantile(r.runs.map((x) => x.readyS), 0.5))} / ${f(quantile(r.runs.map((x) => x.readyS), 1))} | ${f(quantile(ok.map((x) => x.firstCellS), 0.5))} | ` +
        `${f(quantile(ok.map((x) => x.lastCellS), 0.5))} / ${f(quantile(ok.map((x) => x.lastCellS), 1))} | ` +
        `${f(quantile(r.runs.map((x) => x.peakMb), 0.5))} / ${f(quantile(r.runs.map((x) => x.peakMb), 1))} | ${r.totalMb.toFixed(0)} | ` +
        `${r.runs.length - ok.length} | ${r.wallS.toFixed(0)} |`,
    );
    for (const x of r.runs.filter((x) => x.error).slice(0, 3)) console.log(`  ${x.name}: ${x.error}`);
  }
  const table = rows.join("\n");
  console.log(`\n${table}\n\nMachine: ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB.`);
  const out = path.resolve(__dirname, "..", "build", "bench");
  await fs.mkdir(out, { recursive: true });
  await fs.writeFile(path.join(out, "hub-load.md"), `${table}\n`);
  const xs = results.map((r) => r.n);
  const fig = subplots(
    [
      lineChart(
        [
          { name: "ready server (p50)", x: xs, y: results.map((r) => quantile(r.runs.map((x) => x.readyS), 0.5)) },
          { name: "last cell (p50)", x: xs, y: results.map((r) => quantile(r.runs.filter((x) => !x.error).map((x) => x.lastCellS), 0.5)) },
          { name: "last cell (max)", x: xs, y: results.map((r) => quantile(r.runs.filter((x) => !x.error).map((x) => x.lastCellS), 1)) },
        ],
        { title: "time per student", xTitle: "students at once", yTitle: "seconds" },
      ),
      lineChart([{ name: "all students, peak", x: xs, y: results.map((r) => r.totalMb / 1024) }], {
        title: "memory",
        xTitle: "students at once",
        yTitle: "GiB",
      }),
    ],
    { name: "hub-load", title: "00_setup on JupyterHub, this machine" },
  );
  const renderer = await Renderer.launch();
  try {
    await fs.writeFile(path.join(out, "hub-load.svg"), await renderer.renderFigure(fig, { format: "svg", width: 1200, height: 500 }));
    await fs.writeFile(path.join(out, "hub-load.png"), await renderer.renderFigure(fig, { format: "png", width: 1200, height: 500, scale: 1 }));
  } finally {
    await renderer.close();
  }
  console.log(`table and figure in ${out}/hub-load.{md,svg,png}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
