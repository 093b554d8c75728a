/**
 * What an emulated command gives back: the bytes it writes to each stream and its exit status.
 */

/** The output of one run of a tool. */
export interface ToolOutput {
  /** Everything written to standard output, byte for byte. */
  readonly stdout: string;
  /** Everything written to standard error (empty for the tools that print only to stdout). */
  readonly stderr: string;
  /** The exit status. */
  readonly exitCode: number;
}
