import { spawnSync } from "node:child_process";
import { resolve } from "node:path";

/** The built command, as `npm install` links it. */
export const MCSIM = resolve("dist/cli.js");

/** What one run of the command gave. */
export interface McsimRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `mcsim ARGS` in a separate process, as a user would from a shell. */
export function mcsim(args: readonly string[], options: { readonly cwd?: string } = {}): McsimRun {
  const r = spawnSync(process.execPath, [MCSIM, ...args], { encoding: "utf8", cwd: options.cwd ?? process.cwd() });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
