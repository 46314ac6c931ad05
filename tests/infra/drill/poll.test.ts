import { expect } from "chai";
import { defaultPollSchedule, lagEstimateMs, lagUncertaintyMs, nextPollDelay, sleep } from "../../../infra/drill/poll";

describe("infra/drill/poll", () => {
    it("starts at 250 ms, doubles, and never waits more than 1 s", () => {
        const delays: number[] = [];
        let delay: number | undefined;
        for (let i = 0; i < 6; i += 1) {
            delay = nextPollDelay(delay);
            delays.push(delay);
        }
        expect(delays).to.deep.equal([250, 500, 1000, 1000, 1000, 1000]);
        expect(nextPollDelay(100, { ...defaultPollSchedule, factor: 1.5 })).to.equal(250);
    });

    it("estimates lag as the middle of the bracket between the last miss and the sighting", () => {
        // written at 0, missed by the poll sent at 1000, seen by the poll that returned at 2000
        expect(lagEstimateMs(0, 1000, 2000)).to.equal(1500);
        // a miss sent before the write does not widen the bracket
        expect(lagEstimateMs(500, 100, 1500)).to.equal(500);
        // seen by the first poll: between the write and the answer
        expect(lagEstimateMs(0, undefined, 300)).to.equal(150);
    });

    it("gives half the bracket as the estimate's uncertainty", () => {
        expect(lagUncertaintyMs(0, 1000, 2000)).to.equal(500);
        expect(lagUncertaintyMs(500, 100, 1500)).to.equal(500);
        expect(lagUncertaintyMs(0, undefined, 300)).to.equal(150);
    });

    it("sleeps, and stops sleeping when aborted", async () => {
        const controller = new AbortController();
        setTimeout(() => controller.abort(new Error("stop")), 20);
        let error: unknown;
        // An hour, far beyond mocha's timeout: if the abort did not end the sleep, the test times out and fails.
        await sleep(3_600_000, controller.signal).catch((e) => (error = e));
        expect((error as Error).message).to.equal("stop");
        await sleep(1);
    });
});
