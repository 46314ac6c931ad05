import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { expect } from "chai";
import { RestoreRefusedError } from "../../../infra/restore/restore";
import { emulatorPair } from "../../emulator/moto";
import { createBucket, emulatorS3, secondBoundary } from "../../support/versionedBucket";
import { runDeploy } from "../../../infra/lifecycle/deploy";
import { runRecover } from "../../../infra/lifecycle/recover";
import { UsageError } from "../../../infra/output";
import { FakePulumiCommand, twoSites as sites } from "../../support/fakePulumi";
import { tempProject, TempProject, testEnv } from "../../support/project";
import { recordingOutput } from "../../support/recordingOutput";

describe("infra/lifecycle/recover", () => {
    let project: TempProject;
    let fake: FakePulumiCommand;
    beforeEach(async () => {
        project = tempProject();
        fake = new FakePulumiCommand(sites, {
            dr: { "lustre-dr:clients": [{ name: "render-1", kind: "instance", mountPoint: "/mnt/lustre" }, { name: "render-2", kind: "instance" }] },
        });
        await runDeploy(
            { primary: "primary", dr: "dr", primaryAccountId: sites.primary.accountId, drAccountId: sites.dr.accountId },
            { output: recordingOutput(), workspace: { projectDir: project.dir, env: testEnv(), pulumiCommand: fake.asPulumiCommand() } },
        );
        fake.invocations.length = 0;
    });
    afterEach(() => project.remove());

    function recover(options: { detach?: boolean; restoreTo?: string; drProfile?: string } = {}, output = recordingOutput(), s3?: S3Client) {
        return runRecover(
            { dr: "dr", detach: options.detach ?? true, restoreTo: options.restoreTo, drProfile: options.drProfile },
            {
                output,
                workspace: { projectDir: project.dir, env: testEnv(), pulumiCommand: fake.asPulumiCommand() },
                ...(s3 ? { restoreClient: () => s3 } : {}),
            },
        );
    }

    it("freezes the dr side in one update, then enables Lustre in a second, never invoking the CLI on the primary stack", async () => {
        const output = recordingOutput();
        fake.profiles.length = 0;
        const result = await recover({ drProfile: "account-b" }, output);

        expect(new Set(fake.profiles)).to.deep.equal(new Set(["account-b"]));
        expect(fake.changes()).to.deep.equal([
            "config set-all --path dr lustre-dr:recovery.detached=true",
            "up dr",
            "config set-all --path dr lustre-dr:lustre.enabled=true",
            "up dr",
        ]);
        expect(result.phases.map((p) => p.phase)).to.deep.equal(["freeze", "activate"]);
        expect(result.phases.every((p) => p.seconds >= 0 && p.skipped === undefined)).to.equal(true);
        expect(output.texts[0]).to.match(/^Phases: freeze \d+(\.\d+)? s, activate \d+(\.\d+)? s\.$/m);
        expect([...fake.touchedStacks()]).to.deep.equal(["dr"]);
        expect(fake.invocations.some((args) => args.some((arg) => arg.includes("primary")))).to.equal(false);
        expect(fake.stacks.get("dr")!.config["lustre-dr:recovery"]).to.deep.equal({ detached: true });
        expect(fake.stacks.get("dr")!.config["lustre-dr:lustre"]).to.deep.equal({ enabled: true });
        expect(result.outputs.replicationStatus).to.equal("detached");
        expect(result.outputs.replicationGrantedTo).to.deep.equal([]);
    });

    it("prints the mount command for each configured client", async () => {
        const output = recordingOutput();
        const result = await recover({}, output);

        const source = "fs-02222.fsx.us-west-2.amazonaws.com@tcp:/abcdefgh";
        expect(result.mounts.map((m) => m.client)).to.deep.equal(["render-1", "render-2"]);
        expect(result.mounts[0].command).to.include(source).and.include("/mnt/lustre");
        expect(result.mounts[1].command).to.match(/ \/fsx$/);
        expect(output.texts[0]).to.match(/File system fs-02222\. Mount it on each client:\n {2}render-1: sudo mkdir -p \/mnt\/lustre/);
    });

    it("with --no-detach enables Lustre but keeps replicating with the primary", async () => {
        const result = await recover({ detach: false });

        expect(fake.changes()).to.deep.equal(["config set-all --path dr lustre-dr:lustre.enabled=true", "up dr"]);
        expect(result.outputs.replicationStatus).to.equal("active");
    });

    it("refuses --restore-to with --no-detach: the restore would race live replication", async () => {
        const error = await recover({ restoreTo: "2026-01-31T12:00:00Z", detach: false }).then(
            () => undefined,
            (e: unknown) => e,
        );
        expect(error).to.be.instanceOf(UsageError);
        expect((error as Error).message).to.match(/^--restore-to with --no-detach: live replication from the primary/);
        expect(fake.invocations).to.deep.equal([]);
    });

    it("refuses a --restore-to without a zone or in the future, before touching any stack", async () => {
        for (const [restoreTo, message] of [
            ["2026-01-31 12:00", /--restore-to is "2026-01-31 12:00": expected an ISO 8601 time with a zone/],
            ["2999-01-01T00:00:00Z", /--restore-to is "2999-01-01T00:00:00Z", which is in the future/],
        ] as const) {
            const error = await recover({ restoreTo }).then(
                () => undefined,
                (e: unknown) => e,
            );
            expect(error, restoreTo).to.be.instanceOf(UsageError);
            expect((error as Error).message).to.match(message);
        }
        expect(fake.invocations).to.deep.equal([]);
    });

    describe("with --restore-to, against the S3 emulator", function () {
        this.timeout(60_000);
        let s3: S3Client;
        let bucket: string;

        beforeEach(async () => {
            s3 = emulatorS3((await emulatorPair()).dr.endpoint);
            bucket = await createBucket(s3);
            // The dr stack's outputs name the emulator's bucket.
            fake = new FakePulumiCommand({ ...sites, dr: { ...sites.dr, bucketName: bucket } });
            await runDeploy(
                { primary: "primary", dr: "dr", primaryAccountId: sites.primary.accountId, drAccountId: sites.dr.accountId },
                { output: recordingOutput(), workspace: { projectDir: project.dir, env: testEnv(), pulumiCommand: fake.asPulumiCommand() } },
            );
            fake.invocations.length = 0;
        });

        const read = async (key: string) =>
            (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })).then((r) => r.Body!.transformToString()).catch(() => undefined));

        it("freezes, returns the dr bucket to the time before the attack, then activates: two updates around the restore", async () => {
            await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "results/run-1.csv", Body: "good data" }));
            const T = await secondBoundary();
            await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "results/run-1.csv", Body: "encrypted by attacker" }));
            await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "README-ransom.txt", Body: "pay up" }));
            const output = recordingOutput();

            const result = await recover({ restoreTo: T.toISOString() }, output, s3);

            expect(await read("results/run-1.csv")).to.equal("good data");
            expect(await read("README-ransom.txt")).to.equal(undefined);
            expect(result.restore).to.deep.include({ bucket, to: T.toISOString() });
            expect(result.restore!.applied).to.include({ copies: 1, deleteMarkers: 1 });
            expect(fake.changes()).to.deep.equal([
                "config set-all --path dr lustre-dr:recovery.detached=true",
                "up dr",
                "config set-all --path dr lustre-dr:lustre.enabled=true",
                "up dr",
            ]);
            const line = (prefix: string) => output.progressLines.findIndex((l) => l.startsWith(prefix));
            expect(line("Freezing dr")).to.be.within(0, line("Restoring s3://"));
            expect(line("Restoring s3://")).to.be.lessThan(line("Activating dr"));
            expect(line("Activating dr")).to.be.lessThan(line("Verifying s3://"));
            expect(result.phases.map((p) => p.phase)).to.deep.equal(["freeze", "restore", "activate", "verify"]);
            // restore --verify after the activation: the bucket the file system serves is as it was at T.
            expect(result.verify).to.deep.include({ bucket, verdict: "same", to: T.toISOString() });
            expect(output.texts[0]).to.match(/^Phases: freeze [\d.]+ s, restore [\d.]+ s, activate [\d.]+ s, verify [\d.]+ s\.\nSAME as at /m);
            expect(result.phases[0].changes).to.be.an("object");
        });

        it("re-runs safely after being killed between the freeze and the restore", async () => {
            await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "results/run-1.csv", Body: "good data" }));
            const T = await secondBoundary();
            await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "results/run-1.csv", Body: "encrypted by attacker" }));
            // The first run dies in the restore (as a kill would): frozen, nothing restored, no file system.
            const dying = emulatorS3("http://127.0.0.1:9");
            const killed = await recover({ restoreTo: T.toISOString() }, recordingOutput(), dying).then(
                () => undefined,
                (e: unknown) => e,
            );
            dying.destroy();
            expect(killed).to.be.instanceOf(Error);
            expect(fake.changes()).to.deep.equal(["config set-all --path dr lustre-dr:recovery.detached=true", "up dr"]);
            expect(fake.stacks.get("dr")!.outputs.fileSystemId).to.equal(undefined);
            expect(await read("results/run-1.csv")).to.equal("encrypted by attacker");

            fake.invocations.length = 0;
            const result = await recover({ restoreTo: T.toISOString() }, recordingOutput(), s3);

            expect(result.phases.map((p) => p.skipped ?? p.phase)).to.deep.equal(["already frozen", "restore", "activate", "verify"]);
            expect(result.verify?.verdict).to.equal("same");
            expect(fake.changes()).to.deep.equal(["config set-all --path dr lustre-dr:lustre.enabled=true", "up dr"]);
            expect(await read("results/run-1.csv")).to.equal("good data");
            expect(result.outputs.fileSystemId).to.be.a("string");
        });

        it("creates no file system when the restore is refused, and leaves the side frozen", async () => {
            const before = new Date(Date.now() - 3_600_000);
            await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "results/run-1.csv", Body: "data" }));

            const error = await recover({ restoreTo: before.toISOString() }, recordingOutput(), s3).then(
                () => undefined,
                (e: unknown) => e,
            );

            // Nothing in the bucket is as old as T: restoring would make everything disappear. The freeze stays.
            expect(error).to.be.instanceOf(RestoreRefusedError);
            expect(fake.changes()).to.deep.equal(["config set-all --path dr lustre-dr:recovery.detached=true", "up dr"]);
            expect(fake.stacks.get("dr")!.config["lustre-dr:lustre"]).to.equal(undefined);
        });
    });

    it("names the dr stack when the freeze update fails, creates no file system, and a re-run continues", async () => {
        fake.failures.push({ when: (args) => args[0] === "up", stderr: "error: updating bucket policy: AccessDenied" });

        const error = await recover().then(
            () => undefined,
            (e: unknown) => e,
        );

        expect((error as Error).message).to.match(/^the freeze update of stack dr failed; recovery.detached=true is saved/);
        // The failed freeze update, and no activation after it.
        expect(fake.changes()).to.deep.equal(["config set-all --path dr lustre-dr:recovery.detached=true", "up dr"]);
        expect(fake.stacks.get("dr")!.config["lustre-dr:lustre"]).to.equal(undefined);
        const rerun = await recover();
        expect(rerun.phases.map((p) => p.skipped ?? p.phase)).to.deep.equal(["freeze", "activate"]);
        expect(rerun.outputs.fileSystemId).to.equal("fs-02222");
    });

    it("names the dr stack when the activation update fails, and keeps the config so a re-run continues", async () => {
        let ups = 0;
        fake.failures.push({ when: (args) => args[0] === "up" && ++ups === 2, stderr: "error: creating FSx file system: ServiceQuotaExceeded" });

        const error = await recover().then(
            () => undefined,
            (e: unknown) => e,
        );

        expect((error as Error).message).to.match(/the update of stack dr failed; the config change is saved/);
        expect((error as Error).message).to.include("ServiceQuotaExceeded");
        const rerun = await recover();
        expect(rerun.phases.map((p) => p.skipped ?? p.phase), "frozen by the first run").to.deep.equal(["already frozen", "activate"]);
        expect(rerun.outputs.fileSystemId).to.equal("fs-02222");
    });
});
