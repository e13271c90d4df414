/**
 * Kernel.start when the kernel never answers (seen, rarely, on a loaded machine: a notebook's kernel start
 * then waited out its 120 s). The kernel is a stand-in (fixtures/fake-tslab, through the real preload)
 * that hangs after binding its five ports or before, or answers kernel_info.
 */
import { promises as fs } from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import { Kernel, KernelStartError, listeningPorts } from "../src/kernel";

const fakeTslab = path.join(__dirname, "fixtures", "fake-tslab");
/** The stand-in compiles nothing: the preload need not load TypeScript for it. */
const FAKE_ENV = { NBCONVERT_TS_RUNNER_BUILDER_REUSE: "off" };

describe("a kernel that hangs while starting", () => {
  it.each(["bound", "unbound"])("is killed and another one started in its place (hung %s)", async (hang) => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "kernel-start-"));
    const marker = path.join(dir, "hung");
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      const started = Date.now();
      const kernel = await Kernel.start({ tslabDir: fakeTslab, cwd: dir, hungAfterMs: 1500, env: { ...FAKE_ENV, FAKE_TSLAB_HANG: hang, FAKE_TSLAB_MARKER: marker } });
      expect(kernel.info.implementation).toBe("fake-tslab");
      const hungPid = Number((await fs.readFile(marker, "utf8")).trim());
      expect(hungPid).not.toBe(kernel.pid);
      expect(() => process.kill(hungPid, 0), "the hung kernel is gone").toThrow();
      expect(Date.now() - started).toBeGreaterThan(1500);
      expect(warn.mock.calls.map((c) => String(c[0]))).toEqual([
        expect.stringMatching(/^nbconvert-ts-runner: the kernel (listened on its ports|idled) for .*; starting another kernel \(2 of 3\)$/),
      ]);
      await kernel.kill();
    } finally {
      warn.mockRestore();
      await fs.rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it("fails the start after three such kernels, naming what they did", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    onTestFinished(() => warn.mockRestore());
    const bound = Kernel.start({ tslabDir: fakeTslab, cwd: os.tmpdir(), hungAfterMs: 1000, env: { ...FAKE_ENV, FAKE_TSLAB_HANG: "bound" } });
    await expect(bound).rejects.toThrow(KernelStartError);
    await expect(bound).rejects.toThrow(/^the kernel listened on its ports for \d[\d.]* s without answering$/);
    const unbound = Kernel.start({ tslabDir: fakeTslab, cwd: os.tmpdir(), hungAfterMs: 1000, env: { ...FAKE_ENV, FAKE_TSLAB_HANG: "unbound" } });
    await expect(unbound).rejects.toThrow(/^the kernel idled for \d[\d.]* s \(0\.[01]\d s of CPU\) without binding its ports$/);
    expect(warn.mock.calls.map((c) => String(c[0]).replace(/^.*\((\d) of 3\)$/, "$1"))).toEqual(["2", "3", "2", "3"]);
  }, 90_000);

  it("fails at the time limit with what arrived and how many ports listened, when that comes first", async () => {
    const start = Kernel.start({ tslabDir: fakeTslab, cwd: os.tmpdir(), startTimeoutMs: 15_000, hungAfterMs: 60_000, env: { ...FAKE_ENV, FAKE_TSLAB_HANG: "bound" } });
    await expect(start).rejects.toThrow(
      /^the kernel did not answer within \d[\d.]* s \(no kernel_info reply and no iopub message arrived\); it listened on 5 of its 5 ports, used \d+\.\d s of CPU$/,
    );
  }, 60_000);
});

describe("a working folder that does not exist", () => {
  it("fails the start with a KernelStartError naming it, before any process starts", async () => {
    const missing = path.join(os.tmpdir(), `kernel-start-missing-${process.pid}`);
    const start = Kernel.start({ tslabDir: fakeTslab, cwd: missing, env: FAKE_ENV });
    await expect(start).rejects.toThrow(KernelStartError);
    await expect(start).rejects.toThrow(`the kernel's working folder ${missing} is not a folder that exists`);
  });
});

describe("listeningPorts", () => {
  it("finds a listening socket's port, and not a free one", async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      expect(listeningPorts([port])).toEqual(new Set([port]));
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(listeningPorts([port])).toEqual(new Set());
  });
});
