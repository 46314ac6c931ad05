/**
 * An Output (infra/output.ts) that keeps what a command prints, for assertions.
 */
import type { Output } from "../../infra/output";

export interface RecordingOutput<T = unknown> extends Output {
    readonly progressLines: string[];
    readonly results: T[];
    /** The human rendering of each result. */
    readonly texts: string[];
    /** The last result. */
    readonly data?: T;
    /** The last result as it would be printed: JSON with `--json`, else the human rendering. */
    readonly text?: string;
}

export function recordingOutput<T = unknown>(json = false): RecordingOutput<T> {
    const progressLines: string[] = [];
    const results: T[] = [];
    const texts: string[] = [];
    return {
        json,
        progressLines,
        results,
        texts,
        get data() {
            return results[results.length - 1];
        },
        get text() {
            if (results.length === 0) {
                return undefined;
            }
            return json ? JSON.stringify(results[results.length - 1]) : texts[texts.length - 1];
        },
        progress(message) {
            progressLines.push(message);
        },
        result(data, human) {
            results.push(data as T);
            texts.push(human());
        },
    };
}
