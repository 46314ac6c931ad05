/**
 * Reads an S3 Batch Operations completion report (`Report_CSV_20180820`): a `manifest.json` under
 * `<report prefix>/job-<id>/` listing result CSV files, each row `Bucket, Key, VersionId, TaskStatus, ErrorCode,
 * HTTPStatusCode, ResultMessage` (S3 user guide, "Examples: S3 Batch Operations completion reports"). Keys come back
 * URL-encoded as the manifest had them.
 */
import { keyFromManifest } from "./manifest";

export interface ReportResultFile {
    readonly taskExecutionStatus: string;
    readonly bucket: string;
    readonly key: string;
}

/** The result files a report's `manifest.json` lists (only `failed` ones when `onlyFailed`). */
export function parseReportManifest(json: string, onlyFailed = false): ReportResultFile[] {
    const parsed = JSON.parse(json) as { Results?: Array<{ TaskExecutionStatus?: string; Bucket?: string; Key?: string }> };
    return (parsed.Results ?? [])
        .map((result) => ({ taskExecutionStatus: result.TaskExecutionStatus ?? "", bucket: result.Bucket ?? "", key: result.Key ?? "" }))
        .filter((result) => result.key !== "" && (!onlyFailed || result.taskExecutionStatus === "failed"));
}

/** One task of the report. */
export interface ReportRow {
    readonly bucket: string;
    /** Decoded: the object key itself. */
    readonly key: string;
    readonly versionId: string;
    readonly status: string;
    readonly httpStatus?: number;
    readonly errorCode?: string;
    readonly message: string;
}

/** Splits CSV text into rows of cells: RFC 4180 quoting (`"a ""b"""`), CRLF or LF line ends. */
export function parseCsv(text: string): string[][] {
    const rows: string[][] = [];
    let row: string[] = [];
    let cell = "";
    let quoted = false;
    for (let i = 0; i < text.length; i++) {
        const char = text[i];
        if (quoted) {
            if (char === '"' && text[i + 1] === '"') {
                cell += '"';
                i++;
            } else if (char === '"') {
                quoted = false;
            } else {
                cell += char;
            }
        } else if (char === '"') {
            quoted = true;
        } else if (char === ",") {
            row.push(cell);
            cell = "";
        } else if (char === "\n" || char === "\r") {
            if (char === "\r" && text[i + 1] === "\n") i++;
            row.push(cell);
            rows.push(row);
            row = [];
            cell = "";
        } else {
            cell += char;
        }
    }
    if (cell !== "" || row.length > 0) {
        row.push(cell);
        rows.push(row);
    }
    return rows;
}

/**
 * Report rows. AWS's schema names the columns ErrorCode then HTTPStatusCode, but its own examples (and real reports)
 * put the HTTP status first (`failed,403,AccessDenied,...`); whichever of the two cells is a number is the status.
 */
export function parseReportCsv(text: string): ReportRow[] {
    return parseCsv(text)
        .filter((cells) => cells.length >= 4)
        .map(([bucket, key, versionId, status, fifth = "", sixth = "", ...rest]) => {
            const [httpCell, codeCell] = /^\d{3}$/.test(fifth) || !/^\d{3}$/.test(sixth) ? [fifth, sixth] : [sixth, fifth];
            return {
                bucket,
                key: keyFromManifest(key),
                versionId,
                status,
                ...(httpCell !== "" && /^\d+$/.test(httpCell) ? { httpStatus: Number(httpCell) } : {}),
                ...(codeCell !== "" ? { errorCode: codeCell } : {}),
                message: rest.join(","),
            };
        });
}

/** `AccessDenied (403): Access Denied`, for people. */
export function describeFailure(row: ReportRow): string {
    const code = [row.errorCode, row.httpStatus !== undefined ? `(${row.httpStatus})` : undefined].filter(Boolean).join(" ");
    return [code, row.message].filter((part) => part !== undefined && part !== "").join(": ") || row.status;
}
