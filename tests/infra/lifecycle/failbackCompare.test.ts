import { CopyObjectCommand, DeleteObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateJobCommand, CreateJobCommandInput, DescribeJobCommand, S3ControlClient } from "@aws-sdk/client-s3-control";
import { mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import { compareBuckets, CompareSide } from "../../../infra/compare/compare";
import { runDeploy } from "../../../infra/lifecycle/deploy";
import { compareCommandLine, FailbackOptions, FailbackResult, runFailback } from "../../../infra/lifecycle/failback";
import { runFreeze } from "../../../infra/lifecycle/freeze";
import { copySource } from "../../../infra/restore/apply";
import { listVersions } from "../../../infra/restore/versions";
import { emulatorPair } from "../../emulator/moto";
import { ReplicationCopier } from "../../emulator/replicationCopier";
import { FakePulumiCommand, twoSites } from "../../support/fakePulumi";
import { tempProject, TempProject, testEnv } from "../../support/project";
import { recordingOutput } from "../../support/recordingOutput";
import { createBucket, emulatorS3, secondBoundary, snapshot } from "../../support/versionedBucket";

/**
 * The whole failback against two moto servers: an attacker writes to the primary after the freeze, users write and
 * delete on the dr side during the outage, then `failback --restore-primary-to T --since <freeze> --wait` must leave
 * the pair identical. Replication (live and batch) is the emulator copier's, switched on only while both stacks
 * report `active`; the batch job (mocked S3 Control) is the copier's `batchReplicate` of the dr bucket. Each way S3
 * may order a replica older than the destination's current version is played (replicationCopier.ts).
 */
describe("infra/lifecycle/failback converges the data (moto)", function () {
    this.timeout(90_000);
    const s3control = mockClient(S3ControlClient);
    let project: TempProject;
    let fake: FakePulumiCommand;
    let primary: S3Client;
    let dr: S3Client;
    let buckets: { primary: string; dr: string };
    let copier: ReplicationCopier;
    let t: Date;
    let frozenAt: Date;
    const fsx = (mode: string) => ({ "file-owner": "1000", "file-group": "1000", "file-permissions": mode });
    const workspace = () => ({ projectDir: project.dir, env: testEnv(), pulumiCommand: fake.asPulumiCommand() });

    before(async () => {
        const servers = await emulatorPair();
        primary = emulatorS3(servers.primary.endpoint);
        dr = emulatorS3(servers.dr.endpoint);
    });
    after(() => s3control.restore());

    /** Writes `key` to both buckets, as a converged pair holds it. */
    async function onBoth(key: string, body: string, mode = "0100644"): Promise<void> {
        for (const [client, Bucket] of [[primary, buckets.primary], [dr, buckets.dr]] as const) {
            await client.send(new PutObjectCommand({ Bucket, Key: key, Body: body, Metadata: fsx(mode) }));
        }
    }

    async function latestVersion(client: S3Client, Bucket: string, key: string): Promise<string> {
        for await (const entry of listVersions(client, Bucket, { prefix: key })) {
            return entry.versionId;
        }
        throw new Error(`no ${key}`);
    }

    async function incident(options: { olderStaysNoncurrent: boolean; extra?: () => Promise<void> }): Promise<void> {
        s3control.reset();
        project = tempProject();
        buckets = { primary: await createBucket(primary), dr: await createBucket(dr) };
        fake = new FakePulumiCommand({ primary: { ...twoSites.primary, bucketName: buckets.primary }, dr: { ...twoSites.dr, bucketName: buckets.dr } });
        copier = new ReplicationCopier({ primary: { client: primary, bucket: buckets.primary }, dr: { client: dr, bucket: buckets.dr }, delayMs: 20 });
        // Replication runs while both stacks report active, as the program configures it.
        const run = fake.run.bind(fake);
        fake.run = async (args, cwd, env, onOutput) => {
            const result = await run(args, cwd, env, onOutput);
            if (args[0] === "up") {
                const statuses = [...fake.stacks.values()].map((stack) => stack.outputs.replicationStatus);
                const rule = { stopped: !(statuses.length === 2 && statuses.every((status) => status === "active")) };
                if (!rule.stopped) {
                    await copier.scanNow(); // what was written while detached never replicates
                }
                copier.setRule("primary", rule);
                copier.setRule("dr", rule);
            }
            return result;
        };
        // The batch job: the dr bucket's never-replicated versions created after --since, replicated by the copier.
        let request: CreateJobCommandInput | undefined;
        let counts = { replicated: 0, noncurrent: 0, failed: 0 };
        s3control.on(CreateJobCommand).callsFake(async (input: CreateJobCommandInput) => {
            request = input;
            const createdAfter = input.ManifestGenerator?.S3JobManifestGenerator?.Filter?.CreatedAfter;
            counts = await copier.batchReplicate("dr", {
                select: (version) => !createdAfter || version.lastModified > createdAfter,
                olderStaysNoncurrent: options.olderStaysNoncurrent,
            });
            return { JobId: "job-1" };
        });
        s3control.on(DescribeJobCommand).callsFake(() => {
            const total = counts.replicated + counts.noncurrent + counts.failed;
            expect(request).to.not.equal(undefined);
            return { Job: { Status: "Complete", ProgressSummary: { TotalNumberOfTasks: total, NumberOfTasksSucceeded: total - counts.failed, NumberOfTasksFailed: counts.failed } } };
        });

        await runDeploy({ primary: "primary", dr: "dr", primaryAccountId: twoSites.primary.accountId, drAccountId: twoSites.dr.accountId }, { output: recordingOutput(), workspace: workspace() });
        await onBoth("projects/readme.txt", "read me");
        await onBoth("projects/run.sh", "#!/bin/sh", "0100755");
        await onBoth("projects/data.csv", "1,2,3");
        await onBoth("projects/old.txt", "old");
        await options.extra?.();
        await copier.start();
        t = await secondBoundary();
        await runFreeze({ dr: "dr" }, { output: recordingOutput(), workspace: workspace() });
        frozenAt = new Date();
        await secondBoundary();

        // The attacker, on the primary after the freeze: content, chmod, a new key, a delete, and a key users create too.
        await primary.send(new PutObjectCommand({ Bucket: buckets.primary, Key: "projects/readme.txt", Body: "defaced", Metadata: fsx("0100644") }));
        const runSh = await latestVersion(primary, buckets.primary, "projects/run.sh");
        await primary.send(
            new CopyObjectCommand({ Bucket: buckets.primary, Key: "projects/run.sh", CopySource: copySource(buckets.primary, "projects/run.sh", runSh), MetadataDirective: "REPLACE", Metadata: fsx("0100777") }),
        );
        await primary.send(new PutObjectCommand({ Bucket: buckets.primary, Key: "projects/backdoor.sh", Body: "nc -e /bin/sh" }));
        await primary.send(new DeleteObjectCommand({ Bucket: buckets.primary, Key: "projects/data.csv" }));
        await primary.send(new PutObjectCommand({ Bucket: buckets.primary, Key: "results/run-0042.csv", Body: "forged" }));
        const old = await latestVersion(primary, buckets.primary, "projects/old.txt");
        await primary.send(
            new CopyObjectCommand({ Bucket: buckets.primary, Key: "projects/old.txt", CopySource: copySource(buckets.primary, "projects/old.txt", old), MetadataDirective: "REPLACE", Metadata: fsx("0100666") }),
        );
        // Users on the dr side during the outage: a new file, the same file name, a delete.
        await dr.send(new PutObjectCommand({ Bucket: buckets.dr, Key: "projects/incident-notes.txt", Body: "written during the outage" }));
        await dr.send(new PutObjectCommand({ Bucket: buckets.dr, Key: "results/run-0042.csv", Body: "real results" }));
        await dr.send(new DeleteObjectCommand({ Bucket: buckets.dr, Key: "projects/old.txt" }));
        // The primary's restore comes later than every outage write: its copies carry the newer LastModified.
        await secondBoundary();
    }

    afterEach(async () => {
        await copier?.stop();
        expect(copier.errors()).to.deep.equal([]);
        project?.remove();
    });

    function failback(options: Partial<FailbackOptions> = {}, output = recordingOutput()): Promise<FailbackResult> {
        return runFailback(
            { primary: "primary", dr: "dr", since: frozenAt.toISOString(), restorePrimaryTo: t.toISOString(), wait: true, primaryProfile: "primary", drProfile: "dr", ...options },
            {
                output,
                workspace: workspace(),
                pollSeconds: 0.1,
                s3: (role) => (role === "primary" ? primary : dr),
                s3control: (location) => new S3ControlClient({ region: location.region, credentials: { accessKeyId: "test", secretAccessKey: "test" } }),
                compare: { replicationStatus: async (side, key, versionId) => copier.replicationStatus(side.side, key, versionId) },
            },
        );
    }

    const sides = (): [CompareSide, CompareSide] => [
        { side: "primary", client: primary, bucket: buckets.primary, region: "us-east-1" },
        { side: "dr", client: dr, bucket: buckets.dr, region: "us-west-2" },
    ];

    async function expectConverged(): Promise<void> {
        // Checked apart from the command's own comparison, and by content.
        const again = await compareBuckets(...sides(), { replicationStatus: async (side, key, versionId) => copier.replicationStatus(side.side, key, versionId) });
        expect(again.verdict, JSON.stringify(again.first)).to.equal("identical");
        const state = await snapshot(primary, buckets.primary);
        expect([...state.keys()].sort()).to.deep.equal(["projects/data.csv", "projects/incident-notes.txt", "projects/readme.txt", "projects/run.sh", "results/run-0042.csv"]);
        expect(state.get("projects/readme.txt")?.body).to.equal("read me");
        expect(state.get("projects/run.sh")?.metadata["file-permissions"]).to.equal("0100755");
        expect(state.get("results/run-0042.csv")?.body).to.equal("real results");
    }

    it("replicas current on arrival: restore, job, compare IDENTICAL, nothing sent again", async () => {
        await incident({ olderStaysNoncurrent: false });
        const output = recordingOutput();
        const result = await failback({}, output);

        expect(result.phases.map((phase) => phase.phase)).to.deep.equal(["detach-primary", "restore-primary", "converge", "replicate", "compare"]);
        expect(result.compare?.verdict).to.equal("identical");
        expect(result.resend).to.equal(undefined);
        expect(result.compareCommand).to.equal("lustre-dr compare --primary-profile primary --dr-profile dr");
        expect(output.text).to.match(/^IDENTICAL: 5 keys are the same object on both sides$/m);
        expect(output.text).to.include("Compare again at any time: lustre-dr compare --primary-profile primary --dr-profile dr");
        await expectConverged();
    });

    it("the newest LastModified current: the outage writes the restore outdated are sent again from the dr side, then IDENTICAL", async () => {
        await incident({ olderStaysNoncurrent: true });
        const output = recordingOutput();
        const result = await failback({}, output);

        expect(result.phases.map((phase) => phase.phase)).to.deep.equal(["detach-primary", "restore-primary", "converge", "replicate", "compare", "resend"]);
        // The user's results file lost to the restore's delete marker (newer), and the file users deleted came back
        // with the restore's copy (newer than their delete marker), until the dr side sent both again.
        expect(result.resend).to.deep.include({ copies: 1, deleteMarkers: 1, firstKeys: ["projects/old.txt", "results/run-0042.csv"] });
        expect(result.resend?.left.count).to.equal(0);
        expect(result.compare?.verdict).to.equal("identical");
        expect(output.text).to.match(/^Sent again from the dr side \(outage writes the job did not make current on the primary\): 1 copies, 1 delete markers: "projects\/old.txt", "results\/run-0042.csv"$/m);
        await expectConverged();
    });

    it("exits 1 when the sides still differ, naming the first keys and the compare command; what the dr side did not write is not overwritten", async () => {
        // Written on the primary before T and never replicated (the incident's RPO): not the dr side's to decide.
        await incident({
            olderStaysNoncurrent: false,
            extra: async () => {
                await primary.send(new PutObjectCommand({ Bucket: buckets.primary, Key: "projects/unreplicated.bin", Body: "only here" }));
            },
        });
        const output = recordingOutput();
        const error = await failback({ primary: "primary", dr: "dr" }, output).then(
            () => undefined,
            (e: unknown) => e as Error,
        );

        expect(error?.message).to.match(/^the two buckets still differ after failback: 1 keys \("projects\/unreplicated.bin"\); .*re-check with `lustre-dr compare --primary-profile primary --dr-profile dr`$/);
        expect(output.results, "one result, printed before the exit 1").to.have.length(1);
        const data = output.data as FailbackResult;
        expect(data.compare?.verdict).to.equal("differs");
        expect(data.compare?.first.map((divergence) => [divergence.key, divergence.kind])).to.deep.equal([["projects/unreplicated.bin", "only-primary"]]);
        expect(data.resend?.left.first).to.deep.equal([
            { key: "projects/unreplicated.bin", reason: "never written on the dr side: not an outage write (a primary write that never replicated?)" },
        ]);
        expect(output.text).to.match(/^DIFFERS: 1 of 6 keys differ$/m);
        expect((await snapshot(primary, buckets.primary)).get("projects/unreplicated.bin")?.body).to.equal("only here");
    });

    it("without --wait the pair is not compared: the result says so and prints the command", async () => {
        await incident({ olderStaysNoncurrent: false });
        const output = recordingOutput();
        const result = await failback({ wait: false, primary: "primary", dr: "dr", primaryProfile: undefined, drProfile: "dr b" }, output);
        expect(result.compare).to.equal(undefined);
        expect(result.compareCommand).to.equal("lustre-dr compare --dr-profile 'dr b'");
        expect(output.text).to.include("Not compared: the job is still running (no --wait). Once it is Complete without failures, compare the pair: lustre-dr compare --dr-profile 'dr b'");
    });

    it("names non-default stacks in the compare command", () => {
        expect(compareCommandLine({ primary: "acme/prod-a", dr: "acme/prod-b", primaryProfile: "a" })).to.equal(
            "lustre-dr compare --primary-stack acme/prod-a --dr-stack acme/prod-b --primary-profile a",
        );
    });
});
