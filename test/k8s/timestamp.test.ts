import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SIM_EPOCH_UTC, civilTime, formatTimestamp } from "../../src/k8s/timestamp.js";

const SECOND = 1_000_000;
const DAY = 86_400 * SECOND;

/** Whole days from the simulation's epoch (2026-01-01) to a calendar date, counted by hand. */
function daysTo(year: number, month: number, day: number): number {
  const leap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const monthDays = (y: number) => [31, leap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  let days = 0;
  for (let y = 2026; y < year; y++) days += leap(y) ? 366 : 365;
  for (let m = 1; m < month; m++) days += monthDays(year)[m - 1]!;
  return days + day - 1;
}

describe("formatTimestamp", () => {
  it("writes instant 0 as the epoch, RFC 3339 in UTC", () => {
    expect(formatTimestamp(0)).toBe("2026-01-01T00:00:00Z");
    expect(SIM_EPOCH_UTC).toBe("2026-01-01T00:00:00Z");
  });

  it("keeps whole seconds, rounding down", () => {
    expect(formatTimestamp(999_999)).toBe("2026-01-01T00:00:00Z");
    expect(formatTimestamp(SECOND)).toBe("2026-01-01T00:00:01Z");
    expect(formatTimestamp(90 * SECOND + 500_000)).toBe("2026-01-01T00:01:30Z");
    expect(formatTimestamp(DAY - 1)).toBe("2026-01-01T23:59:59Z");
    expect(formatTimestamp(DAY)).toBe("2026-01-02T00:00:00Z");
  });

  it("crosses month and year boundaries", () => {
    expect(formatTimestamp(31 * DAY)).toBe("2026-02-01T00:00:00Z");
    expect(formatTimestamp(59 * DAY)).toBe("2026-03-01T00:00:00Z"); // 2026 is not a leap year
    expect(formatTimestamp(365 * DAY - SECOND)).toBe("2026-12-31T23:59:59Z");
    expect(formatTimestamp(365 * DAY)).toBe("2027-01-01T00:00:00Z");
    expect(formatTimestamp(730 * DAY)).toBe("2028-01-01T00:00:00Z");
  });

  it("knows the leap days: 2028-02-29 exists, 2100-02-29 does not, 2400-02-29 does", () => {
    expect(daysTo(2028, 2, 29)).toBe(365 + 365 + 31 + 28);
    expect(formatTimestamp(daysTo(2028, 2, 29) * DAY + 12 * 3_600 * SECOND)).toBe("2028-02-29T12:00:00Z");
    expect(formatTimestamp((daysTo(2028, 2, 29) + 1) * DAY)).toBe("2028-03-01T00:00:00Z");
    expect(formatTimestamp(daysTo(2028, 12, 31) * DAY)).toBe("2028-12-31T00:00:00Z");
    expect(formatTimestamp((daysTo(2028, 12, 31) + 1) * DAY)).toBe("2029-01-01T00:00:00Z");
    expect(formatTimestamp(daysTo(2100, 2, 28) * DAY)).toBe("2100-02-28T00:00:00Z");
    expect(formatTimestamp((daysTo(2100, 2, 28) + 1) * DAY)).toBe("2100-03-01T00:00:00Z");
    expect(formatTimestamp((daysTo(2400, 2, 28) + 1) * DAY)).toBe("2400-02-29T00:00:00Z");
  });

  it("agrees with the calendar of JavaScript's Date for any instant (property)", () => {
    const epochMs = Date.UTC(2026, 0, 1);
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 0, max: 10 * 365 * DAY }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })), (t) => {
        const expected = new Date(epochMs + Math.floor(t / 1_000)).toISOString().replace(/\.\d{3}Z$/, "Z");
        expect(formatTimestamp(t)).toBe(expected);
      }),
      { numRuns: 3_000 },
    );
  });

  it("never goes backwards as time goes on (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 47 }), fc.integer({ min: 0, max: 400 * DAY }), (t, dt) => {
        expect(formatTimestamp(t) <= formatTimestamp(t + dt)).toBe(true);
      }),
    );
  });
});

describe("civilTime", () => {
  it("agrees with the calendar, weekday included, for any second from 1970 on (property)", () => {
    const DAYS = 400 * 366;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: DAYS * 86_400 }), (s) => {
        // The test may read the calendar through Date; the model may not.
        const d = new Date(s * 1000);
        expect(civilTime(s)).toEqual({
          year: d.getUTCFullYear(),
          month: d.getUTCMonth() + 1,
          day: d.getUTCDate(),
          hour: d.getUTCHours(),
          minute: d.getUTCMinutes(),
          second: d.getUTCSeconds(),
          weekday: d.getUTCDay(),
        });
      }),
    );
  });
});
