import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { LAB_FILES, socketAddress } from "./address.js";
import type { LabRequest, LabResponse } from "./protocol.js";

/**
 * The client side of a lab: one request over the lab's socket and its response. A lab whose
 * server is not running (stopped, or the machine restarted) is started again first: it rebuilds
 * its state from the log. This module is what every shim loads, so it loads nothing else.
 */

/** A lab that cannot be reached: no lab in the directory, or a server that does not start. */
export class LabUnavailable extends Error {
  override readonly name = "LabUnavailable";
}

/** How long a starting server may take to rebuild its state and answer. */
const START_LIMIT_MS = 120_000;

/**
 * Sends one request to the lab in `dir` and gives its response.
 *
 * @param start starts the server when it is not running (default true); false gives undefined then.
 * @throws LabUnavailable when there is no lab in `dir` or its server does not start.
 */
export async function labRequest(dir: string, request: LabRequest, start = true): Promise<LabResponse | undefined> {
  if (!existsSync(join(dir, LAB_FILES.config))) throw new LabUnavailable(`${dir}: no lab here; start one with mcsim lab init SCENARIO --state ${dir}`);
  const address = socketAddress(dir);
  const first = await send(address, request);
  if (first !== undefined || !start) return first;
  const server = startServer(dir);
  const deadline = Date.now() + START_LIMIT_MS;
  for (;;) {
    const response = await send(address, request);
    if (response !== undefined) return response;
    if (server.exitCode !== null && server.exitCode !== 0) throw new LabUnavailable(`${dir}: the lab server did not start (exit ${server.exitCode}); see ${join(dir, LAB_FILES.serverLog)}`);
    if (Date.now() > deadline) throw new LabUnavailable(`${dir}: the lab server did not answer within ${START_LIMIT_MS / 1000}s; see ${join(dir, LAB_FILES.serverLog)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** One request on a new connection; undefined when nothing listens there. */
function send(address: string, request: LabRequest): Promise<LabResponse | undefined> {
  return new Promise((resolve, reject) => {
    const socket = connect(address);
    let text = "";
    let connected = false;
    socket.setEncoding("utf8");
    socket.on("connect", () => {
      connected = true;
      socket.end(`${JSON.stringify(request)}\n`);
    });
    socket.on("data", (chunk: string) => (text += chunk));
    socket.on("end", () => {
      if (text === "") reject(new LabUnavailable("the lab server closed the connection without answering (it stopped, or failed: see its server.log)"));
      else resolve(JSON.parse(text) as LabResponse);
    });
    socket.on("error", (e: NodeJS.ErrnoException) => {
      if (!connected && (e.code === "ENOENT" || e.code === "ECONNREFUSED")) resolve(undefined);
      else reject(e);
    });
  });
}

/** Starts the lab's server, detached, as lab.json says to, its output going to server.log. */
function startServer(dir: string): { readonly exitCode: number | null } {
  const config = JSON.parse(readFileSync(join(dir, LAB_FILES.config), "utf8")) as { server: string[] };
  const out = openSync(join(dir, LAB_FILES.serverLog), "a");
  const [command, ...args] = config.server;
  const child = spawn(command!, args, { detached: true, stdio: ["ignore", out, out] });
  closeSync(out);
  const state = { exitCode: null as number | null };
  child.on("exit", (code) => (state.exitCode = code ?? 1));
  child.unref();
  return state;
}
