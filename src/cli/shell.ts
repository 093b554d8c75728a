import { readFileSync, statSync } from "node:fs";
import { createInterface } from "node:readline";
import { buildScenarioWorld } from "../scenario/run.js";
import { LabShell, type ShellWrite } from "../shell/session.js";
import type { Micros } from "../sim/time.js";
import { readInput } from "./options.js";
import { checkCluster, readScenarioFile } from "./scenario-file.js";

/** The flags of `mcsim shell`. */
export interface ShellFlags {
  at?: Micros;
  seed?: number;
  context?: string;
  script?: string;
  step: Micros;
  echo?: boolean;
}

/**
 * `mcsim shell SCENARIO`: builds the world, runs it to `--at` (default the end of warmup), then
 * reads commands: from `--script FILE`, from stdin when it is not a terminal, else interactively
 * (line editing, history, tab completion, a prompt naming the context). Non-interactively it
 * prints what the interactive shell prints, without prompts; `--echo` adds each prompt and
 * command before its output, for transcripts. Exits with the status of the last command.
 *
 * @param onError reports an error thrown while an interactive session runs, as main does for the
 *   others, and gives the exit code it means.
 */
export function shellCommand(file: string, flags: ShellFlags, onError: (e: unknown) => number): void {
  const { scenario } = readScenarioFile(file);
  const context = flags.context ?? scenario.spec.clusters[0]!.name;
  checkCluster(scenario, context, "--context");
  const script = flags.script === undefined ? undefined : readInput(flags.script);
  const { world } = buildScenarioWorld(scenario, { traceLevel: "summary", ...(flags.seed !== undefined ? { seed: flags.seed } : {}) });
  world.runUntil(flags.at ?? scenario.spec.warmup);
  const write: ShellWrite = (stream, text) => (stream === "stdout" ? process.stdout : process.stderr).write(text);
  const shell = new LabShell({ world, context, step: flags.step, readFile, write });
  if (script !== undefined || !process.stdin.isTTY) {
    process.exitCode = runLines(shell, script ?? readFileSync(0, "utf8"), flags.echo === true, write);
    return;
  }
  interactive(shell, onError, `mcsim shell: scenario ${scenario.metadata.name} at ${world.sim.now / 1_000_000}s, contexts ${[...world.clusters.keys()].join(", ")}; type help, or exit\n`);
}

/** A file `kubectl apply -f FILE` names, read from the working directory. */
function readFile(path: string): string | undefined {
  try {
    return statSync(path).isFile() ? readFileSync(path, "utf8") : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs a script line by line as the interactive shell reads it: a command runs as soon as its
 * last line (the end of a here-document, a closing quote) has been read.
 */
function runLines(shell: LabShell, text: string, echo: boolean, write: ShellWrite): number {
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  let buffer = "";
  for (const line of lines) {
    if (echo) write("stdout", `${buffer === "" ? shell.prompt : "> "}${line}\n`);
    buffer += `${line}\n`;
    if (!shell.isComplete(buffer)) continue;
    shell.run(buffer);
    buffer = "";
    if (shell.exited !== undefined) return shell.exited;
  }
  // An input that ends inside a construct: run() names what is not closed.
  if (buffer !== "") shell.run(buffer);
  return shell.lastStatus;
}

function interactive(shell: LabShell, onError: (e: unknown) => number, banner: string): void {
  process.stderr.write(banner);
  const rl = createInterface({
    input: process.stdin,
    output: process.stdout,
    terminal: true,
    historySize: 1000,
    completer: (line: string) => shell.complete(line),
  });
  let buffer = "";
  const prompt = () => {
    rl.setPrompt(buffer === "" ? shell.prompt : "> ");
    rl.prompt();
  };
  rl.on("line", (line) => {
    buffer += `${line}\n`;
    if (shell.isComplete(buffer)) {
      const text = buffer;
      buffer = "";
      try {
        shell.run(text);
      } catch (e) {
        process.exitCode = onError(e);
        rl.close();
        return;
      }
      if (shell.exited !== undefined) {
        rl.close();
        return;
      }
    }
    prompt();
  });
  // Ctrl-C drops the line being typed, as a shell does, rather than ending the session.
  rl.on("SIGINT", () => {
    buffer = "";
    process.stdout.write("^C\n");
    prompt();
  });
  rl.on("close", () => {
    process.exitCode ??= shell.exited ?? shell.lastStatus;
  });
  prompt();
}
