/**
 * What lab clients and the lab server say to each other over the lab's socket: one request, as a
 * line of JSON, and one response line back.
 */

/** A request to the lab server. */
export type LabRequest =
  /** A command line, or a program with its arguments (a shim's), with the stdin it reads. */
  | { readonly op: "run"; readonly text?: string; readonly argv?: readonly string[]; readonly stdin?: string; readonly cwd: string }
  | { readonly op: "check"; readonly names: readonly string[] }
  | { readonly op: "status" }
  | { readonly op: "stop" };

/** The response to a `run` or `check`: what it printed, in order, and its exit status. */
export interface RunResponse {
  readonly output: readonly (readonly ["stdout" | "stderr", string])[];
  readonly exitCode: number;
}

/** The response to a `status`. */
export interface StatusResponse {
  readonly pid: number;
  readonly scenario: string;
  readonly lab?: string;
  /** The simulated clock, in microseconds. */
  readonly now: number;
  readonly context: string;
  readonly commands: number;
  readonly clock: "wall" | "step";
  /** A digest of the lab's state (the engine's). */
  readonly digest: string;
}

/** The response to a request the server could not serve. */
export interface ErrorResponse {
  readonly error: string;
}

export type LabResponse = RunResponse | StatusResponse | ErrorResponse | { readonly stopped: true };
