/**
 * The S3 Batch Operations CSV manifest (`S3BatchOperations_CSV_20180820`, fields Bucket, Key, VersionId) of a restore's
 * copies, and the reserved-prefix layout of a batch restore run.
 *
 * AWS's rules (S3 user guide, "Specifying a manifest"): each row is bucket, key, version id; object keys must be
 * URL-encoded; a manifest either has version ids on every row or on none; a version written while versioning was off
 * is named by the string `null`; the manifest must not be SSE-KMS encrypted.
 */
import { reservedPrefix } from "../plan";

/** Everything a batch restore writes to the bucket lives under this prefix, which restore itself never touches. */
export const batchRestorePrefix = `${reservedPrefix}restore/`;

/** `.lustre-dr/restore/<run-id>/`: the run's state, manifests and completion reports. */
export function runPrefix(runId: string): string {
    return `${batchRestorePrefix}${runId}/`;
}

/**
 * A key as a manifest cell: UTF-8 percent-encoding of every byte outside `A-Z a-z 0-9 - _ . ! ~ * ' ( )`, path
 * segment by segment so `/` stays readable (`photos/a b.jpg` -> `photos/a%20b.jpg`, as in AWS's example). A space
 * is `%20`, never `+`, and a literal `+` is `%2B`: S3 decodes the cell with `+` as a space, so an unencoded `+`
 * would name another key. Commas, quotes and line breaks are encoded too, so a cell never needs CSV quoting.
 */
export function manifestKey(key: string): string {
    return key.split("/").map(encodeURIComponent).join("/");
}

/** The inverse of {@link manifestKey}, for keys read back from completion reports (which echo the manifest). */
export function keyFromManifest(cell: string): string {
    return decodeURIComponent(cell);
}

const versionIdPattern = /^[A-Za-z0-9._-]{1,1024}$/;

/** One manifest row, with its line break. Version ids are S3's own (URL-safe) or `null`; anything else is refused. */
export function manifestLine(bucket: string, key: string, versionId: string): string {
    if (!versionIdPattern.test(versionId)) {
        throw new Error(`version id ${JSON.stringify(versionId)} of ${JSON.stringify(key)} cannot go into a batch manifest`);
    }
    return `${bucket},${manifestKey(key)},${versionId}\n`;
}

/**
 * Local manifest file name per storage class: the given path for STANDARD (almost always the only one), and
 * `name.<CLASS>.csv` beside it for others, since S3 Batch Operations sets one storage class per job.
 */
export function manifestFileFor(path: string, storageClass: string): string {
    if (storageClass === "STANDARD") {
        return path;
    }
    const dot = path.lastIndexOf(".");
    const slash = path.lastIndexOf("/");
    return dot > slash + 1 ? `${path.slice(0, dot)}.${storageClass}${path.slice(dot)}` : `${path}.${storageClass}`;
}
