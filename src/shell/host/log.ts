import { closeSync, existsSync, fdatasyncSync, ftruncateSync, openSync, readFileSync, writeSync } from "node:fs";

/** One entry of a lab's log: a command line or a check, when (simulated) it ran, and its exit status. */
export type LogRecord = {
  readonly seq: number;
  /** The simulated instant it ran at, in microseconds. */
  readonly at: number;
  readonly exit: number;
} & (
  | {
      readonly command: string;
      readonly cwd: string;
      /** The files it read (`kubectl apply -f FILE`), by the path it named, so that replaying it reads no disk. */
      readonly files?: Readonly<Record<string, string>>;
    }
  | { readonly check: readonly string[] }
);

/**
 * A lab's durable log (`log.ndjson`): every command in the one order the server ran them, a JSON
 * object a line. A record is on disk (fdatasync) before the command's answer is sent, so an
 * answered command is never lost (the server syncs once for the records of all the requests that
 * arrived together, a group commit, and then answers them); a line cut short by a crash was never answered, and is dropped
 * when the log is opened again.
 */
export class LabLog {
  private readonly fd: number;

  private constructor(
    fd: number,
    /** The records already in the log, oldest first. */
    readonly records: readonly LogRecord[],
  ) {
    this.fd = fd;
  }

  /** Opens (or creates) the log at `path` for appending, reading what it holds. */
  static open(path: string): LabLog {
    const text = existsSync(path) ? readFileSync(path, "utf8") : "";
    const complete = text.lastIndexOf("\n") + 1;
    const records = text
      .slice(0, complete)
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as LogRecord);
    const fd = openSync(path, "a");
    if (complete < Buffer.byteLength(text)) ftruncateSync(fd, Buffer.byteLength(text.slice(0, complete)));
    return new LabLog(fd, records);
  }

  /** Appends a record; it is durable once {@link sync} returns. */
  append(record: LogRecord): void {
    writeSync(this.fd, `${JSON.stringify(record)}\n`);
  }

  /** Waits until every record appended so far is on disk. */
  sync(): void {
    fdatasyncSync(this.fd);
  }

  close(): void {
    closeSync(this.fd);
  }
}
