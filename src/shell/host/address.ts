import { createHash } from "node:crypto";
import { realpathSync, statSync } from "node:fs";
import { join } from "node:path";

/**
 * Where a lab's server listens. On Linux, an abstract Unix socket named by a digest of the state
 * directory's real path and inode (a directory made again at the same path is another lab): it has no file (so no sun_path limit of 108 bytes, and nothing stale after
 * a crash), and binding it is atomic, so it is also the lock that keeps a lab to one server.
 * Elsewhere, `lab.sock` in the directory, which must then fit in sun_path (104 bytes on macOS).
 */
export function socketAddress(dir: string): string {
  const real = realpathSync(dir);
  if (process.platform === "linux") return `\0mcsim-lab-${createHash("sha256").update(`${real}\0${statSync(real).ino}`).digest("hex").slice(0, 32)}`;
  const path = join(real, "lab.sock");
  if (Buffer.byteLength(path) < 104) return path;
  throw new Error(`the lab's directory path is too long for a Unix socket (${path.length} bytes): choose a shorter --state directory`);
}

/** The files of a lab's state directory. */
export const LAB_FILES = {
  /** How the lab was made: its scenario and lab file texts, flags, and how to start its server. */
  config: "lab.json",
  /** Every command, one JSON object a line, in the one order they ran in. */
  log: "log.ndjson",
  /** The server's own messages. */
  serverLog: "server.log",
  /** The shims `mcsim lab env` puts first on PATH. */
  bin: "bin",
} as const;
