import type { Micros } from "../sim/time.js";

/**
 * The calendar instant simulated time 0 stands for. Kubernetes writes instants as RFC 3339
 * (`creationTimestamp`); a fixed epoch keeps them identical on every run and machine.
 */
export const SIM_EPOCH_UTC = "2026-01-01T00:00:00Z";

/** Days from 1970-01-01 to the epoch above. */
const EPOCH_DAYS = 20454;

/** {@link SIM_EPOCH_UTC} in seconds since 1970-01-01 UTC, for formats that count from the Unix epoch (pcap). */
export const SIM_EPOCH_UNIX_SECONDS = EPOCH_DAYS * 86_400;

/** A calendar instant in UTC, to the second. */
export interface CivilTime {
  readonly year: number;
  /** 1 to 12. */
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  /** 0 for Sunday to 6 for Saturday. */
  readonly weekday: number;
}

/**
 * Seconds since 1970-01-01 UTC as a calendar instant, with integer arithmetic (Howard Hinnant's
 * civil-from-days), not the wall-clock Date, which the model must not touch.
 */
export function civilTime(unixSeconds: number): CivilTime {
  const total = Math.floor(unixSeconds);
  const days = Math.floor(total / 86_400);
  const secondOfDay = total - days * 86_400;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1_460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const month = mp < 10 ? mp + 3 : mp - 9;
  return {
    year: yoe + era * 400 + (month <= 2 ? 1 : 0),
    month,
    day: doy - Math.floor((153 * mp + 2) / 5) + 1,
    hour: Math.floor(secondOfDay / 3_600),
    minute: Math.floor((secondOfDay % 3_600) / 60),
    second: secondOfDay % 60,
    // 1970-01-01 was a Thursday.
    weekday: (((days + 4) % 7) + 7) % 7,
  };
}

/** Two digits, as calendar fields are written. */
export function twoDigits(n: number): string {
  return String(n).padStart(2, "0");
}

/**
 * A simulated instant as Kubernetes writes timestamps: RFC 3339 in UTC at whole seconds
 * (`2026-01-01T00:01:30Z`).
 */
export function formatTimestamp(t: Micros): string {
  const c = civilTime(SIM_EPOCH_UNIX_SECONDS + Math.floor(t / 1_000_000));
  return `${String(c.year).padStart(4, "0")}-${twoDigits(c.month)}-${twoDigits(c.day)}T${twoDigits(c.hour)}:${twoDigits(c.minute)}:${twoDigits(c.second)}Z`;
}

/**
 * The simulated instant a timestamp from {@link formatTimestamp} stands for (whole seconds), the
 * inverse of it: Howard Hinnant's days-from-civil. Undefined for text that is not RFC 3339 UTC.
 */
export function parseTimestamp(text: string): Micros | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/.exec(text);
  if (!m) return undefined;
  const [year, month, day, h, min, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  const days = era * 146_097 + doe - 719_468;
  return ((days - EPOCH_DAYS) * 86_400 + h * 3_600 + min * 60 + s) * 1_000_000;
}
