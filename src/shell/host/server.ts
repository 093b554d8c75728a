import { existsSync, readFileSync, statSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { join, resolve } from "node:path";
import type { LabOutput } from "../lab/engine.js";
import { LAB_FILES, socketAddress } from "./address.js";
import { LabLog, type LogRecord } from "./log.js";
import type { LabRequest, LabResponse } from "./protocol.js";
import { buildLab, readConfig, type BuiltLab, type LabConfig } from "./state.js";

/**
 * The lab server: the one process that holds a lab's simulation. It takes the lab's socket (on
 * Linux an abstract one, which only one process can hold: a second server started at the same
 * time finds it taken and leaves), rebuilds the lab by replaying its log, then runs requests one
 * at a time, in the order they arrive: each command is run and appended to the log, and answered
 * only once the log is synced to disk (once for all the requests that arrived together). The log is therefore the one total order of every command of
 * every process, and an answered command survives a crash.
 */

/** A running lab: its state, its log and the wall-clock anchor of a `wall` clock. */
interface Running {
  readonly config: LabConfig;
  readonly built: BuiltLab;
  readonly log: LabLog;
  seq: number;
  readonly anchor: { readonly sim: number; readonly wall: number };
  /** Answers waiting for the log's next sync. */
  readonly unsynced: (() => void)[];
}

/**
 * Serves the lab in `dir` until a `stop` request. Returns once it listens, or quietly when
 * another server already holds the lab's socket.
 */
export function serveLab(dir: string): void {
  const config = readConfig(dir);
  let running: Running | undefined;
  const server = createServer((socket) => serveConnection(socket, () => running!, () => stop()));
  const stop = () => {
    server.close();
    running?.log.close();
  };
  server.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code !== "EADDRINUSE") throw e;
    process.stderr.write(`mcsim lab: ${dir}: a server runs this lab already\n`);
  });
  const address = socketAddress(dir);
  server.listen(address, () => {
    running = start(dir, config);
    // A server whose directory was removed (or made again) serves no one: it leaves.
    setInterval(() => {
      if (!existsSync(dir) || socketAddress(dir) !== address) {
        stop();
        process.exit(0);
      }
    }, 5000).unref();
    process.stderr.write(`mcsim lab: serving ${dir} (pid ${process.pid}); ${running.seq} commands replayed from the log\n`);
  });
}

/** Builds the lab and replays its log. */
function start(dir: string, config: LabConfig): Running {
  const built = buildLab(config);
  const log = LabLog.open(join(dir, LAB_FILES.log));
  const world = built.world;
  for (const record of log.records) {
    if (record.at > world.sim.now) world.runUntil(record.at);
    const out = execute(built, record);
    if (out.exitCode !== record.exit) process.stderr.write(`mcsim lab: replaying command ${record.seq} gave exit status ${out.exitCode}, the log says ${record.exit}\n`);
  }
  return { config, built, log, seq: log.records.length, anchor: { sim: world.sim.now, wall: Date.now() }, unsynced: [] };
}

/** Runs a logged command or check against the lab. */
function execute(built: BuiltLab, record: LogRecord): LabOutput {
  const files = "command" in record ? (record.files ?? {}) : {};
  return guarded(() => ("command" in record ? built.engine.run(record.command, (p) => files[p]) : built.engine.check(record.check)));
}

/** A command that throws is a bug in mcsim: its answer says so, and replaying it throws the same way. */
function guarded(run: () => LabOutput): LabOutput {
  try {
    return run();
  } catch (e) {
    return { output: [["stderr", `mcsim: internal error: ${(e as Error)?.stack ?? String(e)}\nThis is a bug in mcsim; please report it with the lab's log.ndjson.\n`]], exitCode: 3 };
  }
}

function serveConnection(socket: Socket, lab: () => Running, stop: () => void): void {
  let text = "";
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => {
    text += chunk;
    const end = text.indexOf("\n");
    if (end < 0) return;
    socket.removeAllListeners("data");
    const request = JSON.parse(text.slice(0, end)) as LabRequest;
    let response: LabResponse;
    try {
      response = handle(lab(), request);
    } catch (e) {
      response = { error: (e as Error).message };
    }
    afterSync(lab(), () =>
      socket.end(`${JSON.stringify(response)}\n`, () => {
        if (request.op === "stop") {
          stop();
          process.exit(0);
        }
      }),
    );
  });
  socket.on("error", () => socket.destroy());
}

/**
 * Sends an answer once the log is on disk: the requests that arrive together (the connections
 * ready in one turn of the event loop) are run one by one, then the log is synced once, then
 * they are all answered.
 */
function afterSync(lab: Running, answer: () => void): void {
  lab.unsynced.push(answer);
  if (lab.unsynced.length > 1) return;
  setImmediate(() => {
    lab.log.sync();
    for (const send of lab.unsynced.splice(0)) send();
  });
}

function handle(lab: Running, request: LabRequest): LabResponse {
  const { engine, world } = lab.built;
  switch (request.op) {
    case "status":
      return {
        pid: process.pid,
        scenario: lab.built.scenario.metadata.name,
        ...(lab.built.lab ? { lab: lab.built.lab.title } : {}),
        now: world.sim.now,
        context: engine.currentContext,
        commands: lab.seq,
        clock: lab.config.clock,
        digest: engine.digest(),
      };
    case "stop":
      return { stopped: true };
    case "run": {
      const at = keepUp(lab);
      const command = request.text ?? engine.commandLine(request.argv ?? [], request.stdin);
      const files: Record<string, string> = {};
      const readFile = (path: string) => {
        const text = readCwdFile(resolve(request.cwd, path));
        if (text !== undefined) files[path] = text;
        return text;
      };
      const out = guarded(() => engine.run(command, readFile));
      lab.log.append({ seq: ++lab.seq, at, command, cwd: request.cwd, ...(Object.keys(files).length > 0 ? { files } : {}), exit: out.exitCode });
      return out;
    }
    case "check": {
      const at = keepUp(lab);
      const out = guarded(() => engine.check(request.names));
      lab.log.append({ seq: ++lab.seq, at, check: request.names, exit: out.exitCode });
      return out;
    }
  }
}

/** With a `wall` clock, runs the simulation on to where the wall clock says it is; gives the instant. */
function keepUp(lab: Running): number {
  const world = lab.built.world;
  if (lab.config.clock === "wall") {
    const target = lab.anchor.sim + (Date.now() - lab.anchor.wall) * 1000;
    if (target > world.sim.now) world.runUntil(target);
  }
  return world.sim.now;
}

/** A file a command names, read from the client's working directory. */
function readCwdFile(path: string): string | undefined {
  try {
    return statSync(path).isFile() ? readFileSync(path, "utf8") : undefined;
  } catch {
    return undefined;
  }
}
