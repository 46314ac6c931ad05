/**
 * An Output (infra/output.ts) that keeps what a command prints, for assertions.
 */
import type { Output } from "../../infra/output";

export interface RecordingOutput extends Output {
    readonly progressLines: string[];
    readonly results: unknown[];
    /** The human rendering of each result. */
    readonly texts: string[];
}

export function recordingOutput(json = false): RecordingOutput {
    const progressLines: string[] = [];
    const results: unknown[] = [];
    const texts: string[] = [];
    return {
        json,
        progressLines,
        results,
        texts,
        progress(message) {
            progressLines.push(message);
        },
        result(data, human) {
            results.push(data);
            texts.push(human());
        },
    };
}
