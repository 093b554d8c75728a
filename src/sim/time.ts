/**
 * Virtual time. The whole simulation counts time as an integer number of microseconds, so that
 * arithmetic on instants is exact and ordering never depends on floating-point rounding.
 */

/** An instant or a duration in integer microseconds of simulated time. */
export type Micros = number;

/** One microsecond. */
export const MICROSECOND: Micros = 1;
/** One millisecond in {@link Micros}. */
export const MILLISECOND: Micros = 1_000;
/** One second in {@link Micros}. */
export const SECOND: Micros = 1_000_000;
/** One minute in {@link Micros}. */
export const MINUTE: Micros = 60 * SECOND;
/** One hour in {@link Micros}. */
export const HOUR: Micros = 60 * MINUTE;

/** The forms {@link parseDuration} accepts, quoted in its errors. */
export const DURATION_FORMS = "a number and a unit (us, ms, s, m, h), e.g. 250us, 1.5ms, 2s, 5m, 1h, or a sequence such as 1m30s; 0 alone is allowed";

const UNITS: Readonly<Record<string, Micros>> = {
  us: MICROSECOND,
  "µs": MICROSECOND, // U+00B5 micro sign
  "μs": MICROSECOND, // U+03BC Greek mu: Go accepts both
  ms: MILLISECOND,
  s: SECOND,
  m: MINUTE,
  h: HOUR,
};

/** A duration string that {@link parseDuration} could not read. */
export class DurationError extends Error {
  override readonly name = "DurationError";
  constructor(
    /** The string as given. */
    readonly input: string,
    /** What is wrong with it. */
    readonly problem: string,
  ) {
    super(`invalid duration ${JSON.stringify(input)}: ${problem}; expected ${DURATION_FORMS}`);
  }
}

const PART = /(\d+(?:\.\d+)?|\.\d+)(us|µs|μs|ms|s|m|h)/y;

/**
 * Reads a duration such as `250us`, `1.5ms`, `2s`, `5m`, `1h` or `1m30s` (Go's notation, as
 * Kubernetes and the meshes write durations) into integer microseconds.
 *
 * @throws DurationError when the string has another form, is negative, or is finer than a microsecond.
 */
export function parseDuration(input: string): Micros {
  const text = input.trim();
  if (text === "0") return 0;
  if (text === "") throw new DurationError(input, "it is empty");
  if (text.startsWith("-")) throw new DurationError(input, "durations cannot be negative");
  let total = 0;
  let at = 0;
  PART.lastIndex = 0;
  while (at < text.length) {
    PART.lastIndex = at;
    const m = PART.exec(text);
    if (!m) {
      const rest = text.slice(at);
      const problem = /^\d+(\.\d+)?$/.test(rest)
        ? `the number ${rest} has no unit`
        : `cannot read ${JSON.stringify(rest)}`;
      throw new DurationError(input, problem);
    }
    total += Number(m[1]) * (UNITS[m[2] as string] as number);
    at = PART.lastIndex;
  }
  const rounded = Math.round(total);
  if (Math.abs(total - rounded) > 1e-6) {
    throw new DurationError(input, "it is finer than the simulation's resolution of 1us");
  }
  if (!Number.isSafeInteger(rounded)) throw new DurationError(input, "it is too long");
  return rounded;
}

/**
 * Writes a duration exactly, in the largest unit below it, as Go does:
 * `250us`, `1.5ms`, `2.000001s`, `5m`, `1h30m`. {@link parseDuration} reads every output back to the same value.
 */
export function formatDuration(us: Micros): string {
  if (!Number.isFinite(us)) return String(us);
  if (us < 0) return `-${formatDuration(-us)}`;
  if (us === 0) return "0s";
  if (us < MILLISECOND) return `${us}us`;
  if (us < SECOND) return `${us / MILLISECOND}ms`;
  if (us < MINUTE) return `${us / SECOND}s`;
  const h = Math.floor(us / HOUR);
  const m = Math.floor((us % HOUR) / MINUTE);
  const rest = us % MINUTE;
  return `${h ? `${h}h` : ""}${m ? `${m}m` : ""}${rest ? formatDuration(rest) : ""}`;
}

/** A shorthand for writing durations in code: `ms(1.5)` is 1500 microseconds. */
export function ms(n: number): Micros {
  return Math.round(n * MILLISECOND);
}

/** A shorthand for writing durations in code: `seconds(2)` is 2,000,000 microseconds. */
export function seconds(n: number): Micros {
  return Math.round(n * SECOND);
}
