import { expect } from "chai";
import { UsageError } from "../../infra/output";
import { parseIsoTime } from "../../infra/time";

describe("infra/time parseIsoTime", () => {
    const iso = (value: string) => parseIsoTime("--to", value).toISOString();
    const refusal = (value: string, options = {}) => {
        try {
            parseIsoTime("--since", value, options);
        } catch (error) {
            expect(error).to.be.instanceOf(UsageError);
            return (error as Error).message;
        }
        throw new Error(`${value} was accepted`);
    };

    it("reads Z and ±hh:mm zones, with or without seconds", () => {
        expect(iso("2026-11-25T08:00:00Z")).to.equal("2026-11-25T08:00:00.000Z");
        expect(iso("2026-11-25T08:00Z")).to.equal("2026-11-25T08:00:00.000Z");
        expect(iso("2026-11-25T08:00:00+01:00")).to.equal("2026-11-25T07:00:00.000Z");
        expect(iso("2026-11-25T08:00:00-05:30")).to.equal("2026-11-25T13:30:00.000Z");
        expect(iso("2026-11-25t08:00:00z")).to.equal("2026-11-25T08:00:00.000Z");
    });

    it("accepts any number of fractional digits and truncates below the millisecond", () => {
        expect(iso("2026-11-25T08:00:00.1Z")).to.equal("2026-11-25T08:00:00.100Z");
        expect(iso("2026-11-25T08:00:00.123Z")).to.equal("2026-11-25T08:00:00.123Z");
        expect(iso("2026-11-25T08:00:00.123456Z")).to.equal("2026-11-25T08:00:00.123Z");
        expect(iso("2026-11-25T08:00:00.999999999+01:00")).to.equal("2026-11-25T07:00:00.999Z");
        expect(iso("2026-11-25T08:00:00,5Z")).to.equal("2026-11-25T08:00:00.500Z");
    });

    it("refuses a time without a zone, saying the zone is missing", () => {
        expect(refusal("2026-01-31T12:00:00")).to.equal(
            '--since is "2026-01-31T12:00:00": the time zone is missing; expected an ISO 8601 time with a zone (Z or ±hh:mm), ' +
                "such as 2026-11-25T08:00:00Z or 2026-11-25T09:00:00.123456+01:00",
        );
        expect(refusal("2026-01-31T12:00:00.123456789")).to.match(/the time zone is missing/);
    });

    it("refuses dates and times that do not exist rather than rolling them over", () => {
        expect(refusal("2026-02-30T00:00:00Z")).to.match(/^--since is "2026-02-30T00:00:00Z": February 2026 has 28 days; expected an ISO 8601/);
        expect(refusal("2026-02-29T00:00:00Z")).to.match(/February 2026 has 28 days/);
        expect(parseIsoTime("--since", "2028-02-29T00:00:00Z").toISOString()).to.equal("2028-02-29T00:00:00.000Z");
        expect(refusal("2026-04-31T00:00:00Z")).to.match(/April 2026 has 30 days/);
        expect(refusal("2026-13-01T00:00:00Z")).to.match(/there is no month 13/);
        expect(refusal("2026-00-01T00:00:00Z")).to.match(/there is no month 00/);
        expect(refusal("2026-01-00T00:00:00Z")).to.match(/January 2026 has 31 days/);
        expect(refusal("2026-01-01T24:00:00Z")).to.match(/24:00:00 is not a time of day/);
        expect(refusal("2026-01-01T23:60Z")).to.match(/23:60 is not a time of day/);
        expect(refusal("2026-01-01T23:59:60Z")).to.match(/23:59:60 is not a time of day/);
        expect(refusal("2026-01-01T00:00:00+24:00")).to.match(/\+24:00 is not a zone offset/);
    });

    it("refuses other shapes, naming the flag, the value and the expected form", () => {
        for (const value of ["yesterday", "2026-01-31", "2026-01-31 12:00Z", "1769860800", "2026-1-31T12:00:00Z", "2026-01-31T12:00:00.Z", ""]) {
            expect(refusal(value), value).to.match(/^--since is ".*": expected an ISO 8601 time with a zone \(Z or ±hh:mm\)/);
        }
    });

    it("refuses a time after notAfter, with the caller's hint", () => {
        const now = new Date("2026-06-01T00:00:00Z");
        expect(parseIsoTime("--since", "2026-06-01T00:00:00Z", { notAfter: now }).getTime()).to.equal(now.getTime());
        expect(refusal("2026-06-01T00:00:00.001Z", { notAfter: now })).to.equal(
            '--since is "2026-06-01T00:00:00.001Z", which is in the future (now 2026-06-01T00:00:00.000Z): give a past time',
        );
        expect(refusal("2026-06-01T02:00:00+01:00", { notAfter: now, futureHint: "give the last good time" })).to.match(/give the last good time$/);
    });
});
