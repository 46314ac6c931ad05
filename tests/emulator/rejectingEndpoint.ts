/**
 * An S3 endpoint on 127.0.0.1 that answers every request as S3 answers a request signed with a key it does not know:
 * 403 with an S3 error document. moto accepts any credentials unless its IAM enforcement is switched on, so tests of
 * rejected credentials point a side here instead. Every request is recorded, so a test can assert nothing was written.
 */
import * as http from "http";

export interface RejectingEndpoint {
    readonly endpoint: string;
    /** `METHOD path` of every request received. */
    readonly requests: readonly string[];
    stop(): Promise<void>;
}

export async function startRejectingEndpoint(
    code = "InvalidAccessKeyId",
    message = "The AWS Access Key Id you provided does not exist in our records.",
): Promise<RejectingEndpoint> {
    const requests: string[] = [];
    const server = http.createServer((request, response) => {
        requests.push(`${request.method} ${request.url}`);
        request.resume();
        request.on("end", () => {
            response.writeHead(403, { "content-type": "application/xml" });
            response.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>0</RequestId></Error>`);
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    return {
        endpoint: `http://127.0.0.1:${port}`,
        requests,
        stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
}
