// Shared helpers for the browser tests: start a real `firebreak demo` on a free port with a fresh
// data directory, and launch Debian's Chromium headless through playwright-core.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, "..", "..");
export const shots = join(here, "screenshots");
mkdirSync(shots, { recursive: true });

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

/** Starts `firebreak demo` (FIREBREAK_BIN or target/debug/firebreak) and waits for /healthz. */
export async function startDemo() {
  const bin = process.env.FIREBREAK_BIN || join(root, "target", "debug", "firebreak");
  const dataDir = mkdtempSync(join(tmpdir(), "fb-browser-"));
  const port = await freePort();
  const proc = spawn(bin, ["demo", "--port", String(port), "--data-dir", dataDir], { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  proc.stdout.on("data", (d) => (log += d));
  proc.stderr.on("data", (d) => (log += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`firebreak demo exited (${proc.exitCode}):\n${log}`);
    try {
      const r = await fetch(url + "/healthz");
      if (r.ok) break;
    } catch {}
    if (Date.now() > deadline) throw new Error("firebreak demo did not answer /healthz within 60 s:\n" + log);
    await new Promise((r) => setTimeout(r, 200));
  }
  const password = readFileSync(join(dataDir, "demo-password.txt"), "utf8").trim();
  return { url, password, dataDir, log: () => log, stop: () => proc.kill("SIGINT") };
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/** Logs in through the login form. */
export async function login(page, url, username, password) {
  await page.goto(url + "/login");
  await page.fill("input[name=username]", username);
  await page.fill("input[name=password]", password);
  await Promise.all([page.waitForNavigation(), page.click("main form button[type=submit]")]);
}
