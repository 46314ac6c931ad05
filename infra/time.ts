/**
 * The one parser for every time the CLI takes (`restore --to`, `recover --restore-to`, `failback --since` and
 * `--restore-primary-to`, `sync-existing --since`): ISO 8601 / RFC 3339 date and time with an explicit zone.
 *
 * - The zone is required (`Z` or `±hh:mm`): during an incident "08:00" in whose time zone must not be a guess, and
 *   `new Date("2026-01-31T12:00")` would silently read it as the machine's local time.
 * - Seconds are optional; fractional seconds may have any number of digits (6 and 9 are what `date --iso-8601=ns`,
 *   Python and Go print). A JavaScript Date keeps milliseconds, so digits beyond the third are truncated. That loses
 *   nothing the CLI compares against: S3 `LastModified` and Batch Operations' `CreatedAfter` have at most
 *   millisecond precision, and for a whole-millisecond time x and any T, `x <= T` and `x > T` give the same answer
 *   for T and for T truncated to its millisecond.
 * - The calendar is checked, not normalised: 2026-02-30 or 24:00 is refused rather than rolled into the next
 *   day/month as `Date.UTC` would.
 */
import { UsageError } from "./output";

/** The form shown in every refusal, with an example. */
export const isoTimeForm = "an ISO 8601 time with a zone (Z or ±hh:mm), such as 2026-11-25T08:00:00Z or 2026-11-25T09:00:00.123456+01:00";

const isoTimePattern =
    /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

export interface ParseTimeOptions {
    /** Refuse times after this instant (a restore target or a "since" cannot be in the future). */
    readonly notAfter?: Date;
    /** Appended to the "in the future" refusal, e.g. "give the last good time before the incident". */
    readonly futureHint?: string;
}

/**
 * Parses `value`, given with `flag` (named in every message), as an ISO 8601 time with a zone.
 * @throws UsageError naming the flag, the value and the expected form.
 */
export function parseIsoTime(flag: string, value: string, options: ParseTimeOptions = {}): Date {
    const refuse = (why: string): never => {
        throw new UsageError(`${flag} is ${JSON.stringify(value)}: ${why}expected ${isoTimeForm}`);
    };
    const match = isoTimePattern.exec(value.trim());
    if (!match) {
        return refuse(/^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value.trim()) ? "the time zone is missing; " : "");
    }
    const [, y, mo, d, h, mi, s, fraction, zulu, sign, zh, zm] = match;
    const year = Number(y);
    const month = Number(mo);
    const day = Number(d);
    const hour = Number(h);
    const minute = Number(mi);
    const second = s === undefined ? 0 : Number(s);
    if (month < 1 || month > 12) {
        refuse(`there is no month ${mo}; `);
    }
    const daysInMonth = month === 2 ? (isLeapYear(year) ? 29 : 28) : [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
    if (day < 1 || day > daysInMonth) {
        refuse(`${monthNames[month - 1]} ${year} has ${daysInMonth} days; `);
    }
    if (hour > 23 || minute > 59 || second > 59) {
        refuse(`${h}:${mi}${s === undefined ? "" : `:${s}`} is not a time of day; `);
    }
    let offsetMinutes = 0;
    if (zulu === undefined) {
        const offsetHours = Number(zh);
        const offsetMins = Number(zm);
        if (offsetHours > 23 || offsetMins > 59) {
            refuse(`${sign}${zh}:${zm} is not a zone offset; `);
        }
        offsetMinutes = (sign === "-" ? -1 : 1) * (offsetHours * 60 + offsetMins);
    }
    // Truncated, not rounded, to milliseconds: see the module comment for why that is exact for S3 times.
    const milliseconds = fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, "0"));
    const utc = new Date(0);
    // setUTCFullYear, not Date.UTC: Date.UTC maps years 0-99 to 1900-1999.
    utc.setUTCFullYear(year, month - 1, day);
    utc.setUTCHours(hour, minute, second, milliseconds);
    const time = new Date(utc.getTime() - offsetMinutes * 60_000);
    if (options.notAfter !== undefined && time.getTime() > options.notAfter.getTime()) {
        throw new UsageError(
            `${flag} is ${JSON.stringify(value)}, which is in the future (now ${options.notAfter.toISOString()})` +
                `: ${options.futureHint ?? "give a past time"}`,
        );
    }
    return time;
}

function isLeapYear(year: number): boolean {
    return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

const monthNames = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
