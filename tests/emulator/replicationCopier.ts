/**
 * Plays S3 replication between two emulated buckets, because moto stores a replication configuration but never
 * replicates. Each side is its own moto server; the copier watches both buckets with ListObjectVersions and, after
 * a configurable delay, copies every new version (body, content type, user metadata) and every new delete marker
 * to the other bucket over real HTTP, so code under test (the drill, status, runbook checks) runs unchanged.
 *
 * What it shares with AWS (docs/policy.md):
 * - only versions created after `start()` replicate (existing objects need Batch Replication);
 * - replicas are never replicated again, so two-way replication does not loop;
 * - deletes of a specific version are never replicated; delete markers are, unless `replicateDeleteMarkers: false`.
 *
 * Where it differs, and how tests stay honest about it:
 * - S3 gives a replica the source's version id; moto cannot, so the replica gets a new id. The copier keeps a
 *   ledger (`replications()`) mapping each source version to its replica.
 * - moto never sets `ReplicationStatus` on HeadObject. The copier knows what S3 would report (`PENDING`,
 *   `COMPLETED`, `REPLICA`) and answers through `replicationStatus()`; tests pass that to the drill in place of
 *   HeadObject's header. The header reading itself is tested separately with aws-sdk-client-mock.
 *
 * Misbehaviours for failure tests: `stopped` (a direction replicates nothing, as with a broken role or a removed
 * rule), `replicateDeleteMarkers: false`, and `pingPong` (replicas are re-replicated: the loop two-way
 * replication must never have).
 */
import {
    BucketLocationConstraint,
    CreateBucketCommand,
    DeleteObjectCommand,
    GetObjectCommand,
    ListObjectVersionsCommand,
    ListObjectVersionsCommandOutput,
    PutBucketReplicationCommand,
    PutBucketVersioningCommand,
    PutObjectCommand,
    S3Client,
} from "@aws-sdk/client-s3";
import { emulatorCredentials } from "./moto";

export type CopierSideName = "primary" | "dr";

/** One emulated bucket. */
export interface CopierSide {
    readonly client: S3Client;
    readonly bucket: string;
}

/** How one direction behaves. */
export interface CopyRule {
    /** Replicate nothing in this direction. @default false */
    readonly stopped?: boolean;
    /** Copy delete markers (S3's `deleteMarkerReplication`). @default true */
    readonly replicateDeleteMarkers?: boolean;
}

export interface ReplicationCopierOptions {
    readonly primary: CopierSide;
    readonly dr: CopierSide;
    /** Time from the copier noticing a new version to it writing the replica, in ms. @example 500 */
    readonly delayMs: number;
    /** How often both buckets are listed for new versions, in ms. @default 50 */
    readonly scanIntervalMs?: number;
    /** Only keys under this prefix are watched. @default "" (whole bucket) */
    readonly prefix?: string;
    /** Rule for primary -> dr. @default {} */
    readonly toDr?: CopyRule;
    /** Rule for dr -> primary. @default {} */
    readonly toPrimary?: CopyRule;
    /** Re-replicate replicas, endlessly: the loop AWS prevents. For the drill's loop check. @default false */
    readonly pingPong?: boolean;
}

/** What S3 would put in a version's `x-amz-replication-status` header. */
export type EmulatedReplicationStatus = "PENDING" | "COMPLETED" | "FAILED" | "REPLICA";

/** One replicated version, as the copier did it. */
export interface ReplicationRecord {
    readonly from: CopierSideName;
    readonly to: CopierSideName;
    readonly key: string;
    readonly sourceVersionId: string;
    readonly replicaVersionId: string;
    readonly deleteMarker: boolean;
    /** When the copier first saw the source version (ms since epoch). */
    readonly seenAt: number;
    /** When the copier sent the replica write (ms since epoch): the replica became visible after this... */
    readonly writeStartedAt: number;
    /** ...and before the write returned (ms since epoch). */
    readonly replicatedAt: number;
}

interface ListedVersion {
    readonly key: string;
    readonly versionId: string;
    readonly deleteMarker: boolean;
    readonly lastModified: number;
    readonly isLatest: boolean;
    /** Position in its listing array; the API lists a key's versions newest first. */
    readonly index: number;
}

const other = (side: CopierSideName): CopierSideName => (side === "primary" ? "dr" : "primary");
const versionRef = (side: CopierSideName, key: string, versionId: string) => `${side}\u0000${key}\u0000${versionId}`;

export class ReplicationCopier {
    private readonly sides: Record<CopierSideName, CopierSide>;
    private readonly rules: Record<CopierSideName, CopyRule>;
    /** Every version the copier has looked at, by side: pre-existing, source or replica. */
    private readonly seen = new Set<string>();
    /** Versions the copier wrote, by side. */
    private readonly replicaRefs = new Set<string>();
    /** Source versions waiting for their delay, by side. */
    private readonly pending = new Set<string>();
    private readonly records: ReplicationRecord[] = [];
    private readonly failures: Error[] = [];
    private readonly timers = new Set<NodeJS.Timeout>();
    /** Copies of one key in one direction run in order, as S3 orders versions of an object. */
    private readonly keyChains = new Map<string, Promise<void>>();
    /** Replica writes in flight, by destination side and key: a listing may show the replica before its write returns. */
    private readonly writing = new Map<string, number>();
    private scanTimer: NodeJS.Timeout | undefined;
    private scanning: Promise<void> | undefined;
    private running = false;

    constructor(private readonly options: ReplicationCopierOptions) {
        if (!(options.delayMs >= 0)) {
            throw new Error(`delayMs is ${options.delayMs}: expected a number of milliseconds >= 0`);
        }
        this.sides = { primary: options.primary, dr: options.dr };
        this.rules = { dr: options.toDr ?? {}, primary: options.toPrimary ?? {} };
    }

    /** Marks what already exists as not replicated (as S3 does for existing objects) and starts watching. */
    async start(): Promise<void> {
        if (this.running) {
            return;
        }
        for (const side of ["primary", "dr"] as const) {
            for (const version of await this.list(side)) {
                this.seen.add(versionRef(side, version.key, version.versionId));
            }
        }
        this.running = true;
        this.scheduleScan(0);
    }

    /** Stops watching, drops copies still waiting for their delay, and waits for copies already writing. */
    async stop(): Promise<void> {
        this.running = false;
        if (this.scanTimer) {
            clearTimeout(this.scanTimer);
            this.scanTimer = undefined;
        }
        for (const timer of this.timers) {
            clearTimeout(timer);
        }
        this.timers.clear();
        await this.scanning;
        await Promise.all([...this.keyChains.values()]);
    }

    /**
     * Looks at both buckets once, now. S3 decides at write time whether a version replicates; the copier decides when
     * it first sees it. Call this before a rule starts again so versions written while it was stopped stay unreplicated.
     */
    async scanNow(): Promise<void> {
        await this.scanning;
        await this.scan();
    }

    /** Changes a direction's rule while running, e.g. to stop replication mid-test. */
    setRule(to: CopierSideName, rule: CopyRule): void {
        this.rules[to] = rule;
    }

    /** Every replication done so far, oldest first. */
    replications(): readonly ReplicationRecord[] {
        return [...this.records];
    }

    /** Errors from listing or copying; a healthy test run has none. */
    errors(): readonly Error[] {
        return [...this.failures];
    }

    /**
     * The `ReplicationStatus` S3 would report for a version: `REPLICA` for a version the copier wrote,
     * `COMPLETED` for a source it copied, `PENDING` while waiting for its delay, undefined when no rule applies
     * (a stopped direction, a version from before `start()`).
     */
    replicationStatus(side: CopierSideName, key: string, versionId: string): EmulatedReplicationStatus | undefined {
        const ref = versionRef(side, key, versionId);
        if (this.replicaRefs.has(ref)) {
            return "REPLICA";
        }
        if (this.records.some((r) => r.from === side && r.key === key && r.sourceVersionId === versionId)) {
            return "COMPLETED";
        }
        return this.pending.has(ref) ? "PENDING" : undefined;
    }

    /**
     * Plays S3 Batch Replication from `from`: every version and delete marker there that was never replicated (not a
     * replica, not copied by the copier) and that `select` accepts is replicated to the other side, oldest first, as
     * live replication would have. S3 gives a replica its source's LastModified, and AWS does not document which version
     * is current when a replica arrives older than the destination's current one; moto cannot keep a source's
     * LastModified at all. `olderStaysNoncurrent: true` plays the rule "the newest LastModified is current": a replica
     * older than what the destination holds for its key is recorded as replicated but left out of the bucket (it would
     * only be a noncurrent version), so the destination's current version stays. Without it, every replica becomes
     * current on arrival. The direction must be replicating (Batch Replication needs the source's replication rule).
     */
    async batchReplicate(
        from: CopierSideName,
        options: { readonly select?: (version: { key: string; lastModified: Date; deleteMarker: boolean }) => boolean; readonly olderStaysNoncurrent?: boolean } = {},
    ): Promise<{ replicated: number; noncurrent: number; failed: number }> {
        const to = other(from);
        const destinationNewest = new Map<string, number>();
        for (const version of await this.list(to)) {
            destinationNewest.set(version.key, Math.max(destinationNewest.get(version.key) ?? 0, version.lastModified));
        }
        const versions = (await this.list(from)).sort(
            (a, b) => a.lastModified - b.lastModified || Number(a.isLatest) - Number(b.isLatest) || b.index - a.index,
        );
        const counts = { replicated: 0, noncurrent: 0, failed: 0 };
        for (const version of versions) {
            const ref = versionRef(from, version.key, version.versionId);
            const replicated = this.records.some((r) => r.from === from && r.key === version.key && r.sourceVersionId === version.versionId);
            if (this.replicaRefs.has(ref) || replicated || this.pending.has(ref)) {
                continue;
            }
            if (options.select && !options.select({ key: version.key, lastModified: new Date(version.lastModified), deleteMarker: version.deleteMarker })) {
                continue;
            }
            // Taken out of the live scanner's hands: this source version is the job's now.
            this.seen.add(ref);
            if (this.rules[to].stopped) {
                counts.failed++;
                continue;
            }
            const newest = destinationNewest.get(version.key) ?? 0;
            destinationNewest.set(version.key, Math.max(newest, version.lastModified));
            if (options.olderStaysNoncurrent && version.lastModified < newest) {
                counts.noncurrent++;
                continue;
            }
            await this.copy(from, version, Date.now());
            counts.replicated++;
        }
        return counts;
    }

    private scheduleScan(afterMs: number): void {
        if (!this.running) {
            return;
        }
        this.scanTimer = setTimeout(() => {
            this.scanning = this.scan()
                .catch((error: Error) => {
                    this.failures.push(error);
                })
                .finally(() => this.scheduleScan(this.options.scanIntervalMs ?? 50));
        }, afterMs);
    }

    private async scan(): Promise<void> {
        for (const from of ["primary", "dr"] as const) {
            const versions = await this.list(from);
            if (!this.running) {
                return; // stopped while listing
            }
            // oldest first, so that a version and the delete marker after it replicate in that order; moto's
            // LastModified has whole seconds, so ties go by the latest flag and the newest-first listing order
            versions.sort((a, b) => a.lastModified - b.lastModified || Number(a.isLatest) - Number(b.isLatest) || b.index - a.index);
            for (const version of versions) {
                const ref = versionRef(from, version.key, version.versionId);
                if (this.seen.has(ref) || this.writing.has(`${from}\u0000${version.key}`)) {
                    continue; // known, or possibly our own replica whose write has not returned: decide next scan
                }
                this.seen.add(ref);
                if (this.replicaRefs.has(ref) && !this.options.pingPong) {
                    continue; // replicas are not replicated again
                }
                const rule = this.rules[other(from)];
                if (rule.stopped || (version.deleteMarker && rule.replicateDeleteMarkers === false)) {
                    continue;
                }
                this.pending.add(ref);
                const seenAt = Date.now();
                const timer = setTimeout(() => {
                    this.timers.delete(timer);
                    if (!this.running) {
                        return;
                    }
                    this.enqueue(from, version, seenAt);
                }, this.options.delayMs);
                this.timers.add(timer);
            }
        }
    }

    private enqueue(from: CopierSideName, version: ListedVersion, seenAt: number): void {
        const chainKey = `${from}\u0000${version.key}`;
        const previous = this.keyChains.get(chainKey) ?? Promise.resolve();
        const next = previous
            .then(() => this.copy(from, version, seenAt))
            .catch((error: Error) => {
                this.failures.push(error);
            });
        this.keyChains.set(chainKey, next);
        void next.finally(() => {
            if (this.keyChains.get(chainKey) === next) {
                this.keyChains.delete(chainKey);
            }
        });
    }

    private async copy(from: CopierSideName, version: ListedVersion, seenAt: number): Promise<void> {
        const to = other(from);
        const sourceRef = versionRef(from, version.key, version.versionId);
        // a rule changed while the copy waited for its delay
        const rule = this.rules[to];
        if (rule.stopped || (version.deleteMarker && rule.replicateDeleteMarkers === false)) {
            this.pending.delete(sourceRef);
            return;
        }
        const writeKey = `${to}\u0000${version.key}`;
        this.writing.set(writeKey, (this.writing.get(writeKey) ?? 0) + 1);
        try {
            await this.write(from, version, seenAt);
        } finally {
            const left = (this.writing.get(writeKey) ?? 1) - 1;
            if (left === 0) {
                this.writing.delete(writeKey);
            } else {
                this.writing.set(writeKey, left);
            }
        }
    }

    private async write(from: CopierSideName, version: ListedVersion, seenAt: number): Promise<void> {
        const to = other(from);
        const source = this.sides[from];
        const destination = this.sides[to];
        const sourceRef = versionRef(from, version.key, version.versionId);
        let replicaVersionId: string | undefined;
        let writeStartedAt = Date.now();
        if (version.deleteMarker) {
            const deleted = await destination.client.send(new DeleteObjectCommand({ Bucket: destination.bucket, Key: version.key }));
            replicaVersionId = deleted.VersionId;
        } else {
            const object = await source.client.send(
                new GetObjectCommand({ Bucket: source.bucket, Key: version.key, VersionId: version.versionId }),
            );
            const body = await object.Body?.transformToByteArray();
            writeStartedAt = Date.now();
            const written = await destination.client.send(
                new PutObjectCommand({
                    Bucket: destination.bucket,
                    Key: version.key,
                    Body: body ?? new Uint8Array(),
                    ContentType: object.ContentType,
                    CacheControl: object.CacheControl,
                    ContentDisposition: object.ContentDisposition,
                    ContentEncoding: object.ContentEncoding,
                    Metadata: object.Metadata,
                }),
            );
            replicaVersionId = written.VersionId;
        }
        const replicatedAt = Date.now();
        this.pending.delete(sourceRef);
        if (!replicaVersionId) {
            throw new Error(`${to} bucket ${destination.bucket} returned no version id for ${version.key}: is versioning enabled?`);
        }
        this.replicaRefs.add(versionRef(to, version.key, replicaVersionId));
        this.records.push({
            from,
            to,
            key: version.key,
            sourceVersionId: version.versionId,
            replicaVersionId,
            deleteMarker: version.deleteMarker,
            seenAt,
            writeStartedAt,
            replicatedAt,
        });
    }

    private async list(side: CopierSideName): Promise<ListedVersion[]> {
        const { client, bucket } = this.sides[side];
        const versions: ListedVersion[] = [];
        let page: ListObjectVersionsCommandOutput | undefined;
        do {
            page = await client.send(
                new ListObjectVersionsCommand({
                    Bucket: bucket,
                    Prefix: this.options.prefix,
                    KeyMarker: page?.NextKeyMarker,
                    VersionIdMarker: page?.NextVersionIdMarker,
                }),
            );
            for (const [index, v] of (page.Versions ?? []).entries()) {
                if (v.Key && v.VersionId) {
                    versions.push({
                        key: v.Key,
                        versionId: v.VersionId,
                        deleteMarker: false,
                        lastModified: v.LastModified?.getTime() ?? 0,
                        isLatest: v.IsLatest === true,
                        index,
                    });
                }
            }
            for (const [index, m] of (page.DeleteMarkers ?? []).entries()) {
                if (m.Key && m.VersionId) {
                    versions.push({
                        key: m.Key,
                        versionId: m.VersionId,
                        deleteMarker: true,
                        lastModified: m.LastModified?.getTime() ?? 0,
                        isLatest: m.IsLatest === true,
                        index,
                    });
                }
            }
        } while (page.IsTruncated);
        return versions;
    }
}

/** A versioned bucket on each emulated side, with a client for each: what the copier and the code under test use. */
export interface EmulatedBucketPair {
    readonly primary: CopierSide & { readonly endpoint: string; readonly region: string };
    readonly dr: CopierSide & { readonly endpoint: string; readonly region: string };
}

let bucketSerial = 0;

/**
 * Creates a fresh versioned bucket on each side (unique names, so tests need no reset between them), each with a
 * replication rule towards the other, as a converged pair has (the drill's preflight reads it; the copier does the
 * replicating). `replication: false` leaves the rules out.
 * @example const buckets = await emulatedBucketPair(await emulatorPair(), "drill");
 */
export async function emulatedBucketPair(
    servers: { readonly primary: { readonly endpoint: string }; readonly dr: { readonly endpoint: string } },
    label: string,
    options: { readonly replication?: boolean } = {},
): Promise<EmulatedBucketPair> {
    bucketSerial += 1;
    const make = async (role: CopierSideName, region: string) => {
        const endpoint = servers[role].endpoint;
        const client = new S3Client({ endpoint, region, forcePathStyle: true, credentials: emulatorCredentials });
        const bucket = `${label}-${role}-${process.pid}-${bucketSerial}`;
        await client.send(
            new CreateBucketCommand({
                Bucket: bucket,
                ...(region === "us-east-1" ? {} : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }),
            }),
        );
        await client.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }));
        return { client, bucket, endpoint, region };
    };
    const [primary, dr] = await Promise.all([make("primary", "us-east-1"), make("dr", "us-west-2")]);
    if (options.replication !== false) {
        await Promise.all([
            replicateTo(primary, dr.bucket),
            replicateTo(dr, primary.bucket),
        ]);
    }
    return { primary, dr };
}

/** A replication rule for all objects from `source` to `destinationBucket` (moto stores it; the copier replicates). */
export async function replicateTo(source: { readonly client: S3Client; readonly bucket: string }, destinationBucket: string): Promise<void> {
    await source.client.send(
        new PutBucketReplicationCommand({
            Bucket: source.bucket,
            ReplicationConfiguration: {
                Role: `arn:aws:iam::123456789012:role/${source.bucket}-replication`,
                Rules: [
                    {
                        ID: "lustre-dr",
                        Priority: 0,
                        Status: "Enabled",
                        Filter: {},
                        DeleteMarkerReplication: { Status: "Enabled" },
                        Destination: { Bucket: `arn:aws:s3:::${destinationBucket}` },
                    },
                ],
            },
        }),
    );
}
