import { readFileSync } from "node:fs";
import { labRequest, LabUnavailable } from "./client.js";
import type { ErrorResponse, RunResponse } from "./protocol.js";

/**
 * The shims' entry (`dist/lab-client.js`): `node lab-client.js DIR PROGRAM ARGS...` runs one
 * command in the lab in DIR and passes its stdout, stderr and exit status through. It is kept
 * small, loading only the socket client, so that a shim command starts fast.
 */

/** True when the arguments read a manifest from stdin (`-f -`, `--filename=-`), as kubectl apply does. */
function readsStdin(args: readonly string[]): boolean {
  return args.some((a, i) => ((a === "-f" || a === "--filename") && args[i + 1] === "-") || a === "-f-" || a === "-f=-" || a === "--filename=-");
}

async function main(argv: readonly string[]): Promise<number> {
  const [dir, ...command] = argv;
  if (dir === undefined || command.length === 0) {
    process.stderr.write("usage: lab-client DIR PROGRAM [ARGS...]\n");
    return 2;
  }
  // Only a command that reads stdin waits for it: a verify script's stdin may never end.
  const stdin = readsStdin(command) && !process.stdin.isTTY ? readFileSync(0, "utf8") : undefined;
  const response = (await labRequest(dir, { op: "run", argv: command, ...(stdin !== undefined ? { stdin } : {}), cwd: process.cwd() })) as RunResponse | ErrorResponse;
  if ("error" in response) throw new Error(response.error);
  for (const [stream, text] of response.output) (stream === "stdout" ? process.stdout : process.stderr).write(text);
  return response.exitCode;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    process.stderr.write(`mcsim lab: ${e instanceof LabUnavailable ? e.message : (e as Error).stack}\n`);
    process.exitCode = e instanceof LabUnavailable ? 2 : 3;
  },
);
