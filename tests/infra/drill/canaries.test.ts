import { expect } from "chai";
import { assertOwnCanaryKey, canaryKey, directionOfCanary, fsCanaryKey, isOwnCanaryKey, newRunId, runPrefix } from "../../../infra/drill/canaries";
import { cleanUpCommandLine } from "../../../infra/drill/drill";

describe("infra/drill/canaries", () => {
    const runId = newRunId(new Date("2026-11-25T09:24:00.123Z"), Buffer.from([0x3f, 0x9a, 0x1c]));

    it("names runs by time, sortably, with a random suffix", () => {
        expect(runId).to.equal("20261125t092400z-3f9a1c");
        expect(newRunId()).to.not.equal(newRunId());
    });

    it("keeps every canary under .lustre-dr/drill/<run-id>/", () => {
        expect(runPrefix(runId)).to.equal(".lustre-dr/drill/20261125t092400z-3f9a1c/");
        expect(canaryKey(runId, "primary", "dr", 7)).to.equal(".lustre-dr/drill/20261125t092400z-3f9a1c/primary-to-dr/canary-0007");
        expect(fsCanaryKey(runId, "dr", "primary")).to.equal(".lustre-dr/drill/20261125t092400z-3f9a1c/fs-dr-to-primary");
        expect(() => runPrefix("../x")).to.throw(/not a plain lower-case name/);
    });

    it("puts a repository's file-system canary under the repository's prefix, and owns exactly that key", () => {
        const key = fsCanaryKey(runId, "primary", "dr", "projects/team-a/");
        expect(key).to.equal("projects/team-a/.lustre-dr/drill/20261125t092400z-3f9a1c/fs-primary-to-dr");
        expect(isOwnCanaryKey(runId, key)).to.equal(true);
        for (const prefix of ["projects", "/projects/", "../", ".lustre-dr/"]) {
            expect(() => fsCanaryKey(runId, "primary", "dr", prefix), prefix).to.throw(/not a plain key prefix/);
        }
    });

    it("refuses any key that is not this run's canary", () => {
        expect(isOwnCanaryKey(runId, canaryKey(runId, "dr", "primary", 0))).to.equal(true);
        for (const key of [
            "data/file.txt",
            ".lustre-dr/drill/20261125t092400z-3f9a1c/",
            ".lustre-dr/drill/20200101t000000z-000000/primary-to-dr/canary-0000",
            ".lustre-dr/drill/20261125t092400z-3f9a1c/../../data",
            ".lustre-dr/drill-history.jsonl",
            // under a repository prefix only the file-system canary itself, and only under a plain prefix
            "projects/.lustre-dr/drill/20261125t092400z-3f9a1c/primary-to-dr/canary-0000",
            "projects/.lustre-dr/drill/20261125t092400z-3f9a1c/fs-primary-to-dr/x",
            "../.lustre-dr/drill/20261125t092400z-3f9a1c/fs-primary-to-dr",
            "a/../.lustre-dr/drill/20261125t092400z-3f9a1c/fs-primary-to-dr",
            ".lustre-dr/x/.lustre-dr/drill/20261125t092400z-3f9a1c/fs-primary-to-dr",
            "/.lustre-dr/drill/20261125t092400z-3f9a1c/fs-primary-to-dr",
        ]) {
            expect(isOwnCanaryKey(runId, key), key).to.equal(false);
            expect(() => assertOwnCanaryKey(runId, key)).to.throw(/refusing to touch/);
        }
    });

    it("knows which way each canary travels, and nothing about other keys", () => {
        expect(directionOfCanary(runId, canaryKey(runId, "primary", "dr", 3))).to.deep.equal({ from: "primary", to: "dr" });
        expect(directionOfCanary(runId, fsCanaryKey(runId, "dr", "primary"))).to.deep.equal({ from: "dr", to: "primary" });
        expect(directionOfCanary(runId, fsCanaryKey(runId, "primary", "dr", "projects/team-a/"))).to.deep.equal({ from: "primary", to: "dr" });
        expect(directionOfCanary(runId, `${runPrefix(runId)}other/canary-0000`)).to.equal(undefined);
        expect(directionOfCanary(runId, "data/primary-to-dr/canary-0000")).to.equal(undefined);
    });

    it("writes the clean-up command with every side flag it needs, quoting what the shell would split", () => {
        const command = cleanUpCommandLine(runId, {
            primary: { bucket: "acme-use1", region: "us-east-1", profile: "ops admin" },
            dr: { bucket: "acme-usw2", region: "us-west-2", endpoint: "http://127.0.0.1:5000", profile: "it's" },
        });
        expect(command).to.equal(
            `lustre-dr drill --clean-up ${runId} --primary-bucket acme-use1 --primary-region us-east-1 --primary-profile 'ops admin' ` +
                `--dr-bucket acme-usw2 --dr-region us-west-2 --dr-profile 'it'\\''s' --dr-endpoint http://127.0.0.1:5000`,
        );
        // a side read from its stack is named by its stack, as the drill was run
        expect(
            cleanUpCommandLine(runId, {
                primary: { bucket: "acme-use1", region: "us-east-1", stack: "acme/prod-east", profile: "primary" },
                dr: { bucket: "acme-usw2", region: "us-west-2", stack: "dr" },
            }),
        ).to.equal(`lustre-dr drill --clean-up ${runId} --primary-stack acme/prod-east --primary-profile primary --dr-stack dr`);
    });
});
