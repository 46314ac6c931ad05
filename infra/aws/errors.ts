/**
 * What an AWS SDK error means for the operator. The SDK reports a refused connection, a missing profile, a
 * rejected key and a missing bucket in four different shapes; commands that must say which of these happened (and
 * whether it is the environment, exit 2, or the operation, exit 1) classify them here, once.
 */

export type AwsProblemKind =
    /** No answer: connection refused, DNS failure, timeout. */
    | "unreachable"
    /** The SDK found no credentials to sign with (missing profile, nothing in the chain). */
    | "no-credentials"
    /** The service did not accept the credentials (unknown key, bad secret, expired session). */
    | "credentials-rejected"
    /** Valid credentials without the permission. */
    | "access-denied"
    | "no-such-bucket"
    /** The bucket lives in another region than the one given. */
    | "wrong-region"
    | "other";

export interface AwsProblem {
    readonly kind: AwsProblemKind;
    /** A short sentence for the operator, ending with the SDK's own error name and message. */
    readonly text: string;
}

const networkCodes = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EPIPE"]);

const rejectedCredentials = new Set([
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "InvalidToken",
    "TokenRefreshRequired",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "ExpiredTokenException",
]);

const wrongRegion = new Set(["PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException"]);

interface SdkErrorShape {
    readonly name?: string;
    readonly message?: string;
    readonly code?: string;
    readonly $metadata?: { readonly httpStatusCode?: number };
}

/** `Name: message`, without repeating a name the message already starts with. */
export function errorText(error: unknown): string {
    const e = error as SdkErrorShape;
    const name = e.code && (!e.name || e.name === "Error") ? e.code : e.name;
    const message = e.message ?? String(error);
    return name && name !== "Error" && !message.startsWith(name) ? `${name}: ${message}` : message;
}

/**
 * Classifies an SDK error. `action` names the call in messages (`s3:GetBucketVersioning`), `endpoint` the address
 * when one was given; both only make the text more specific.
 */
export function classifyAwsError(error: unknown, context: { action?: string; endpoint?: string; region?: string } = {}): AwsProblem {
    const e = (error ?? {}) as SdkErrorShape;
    const name = e.name ?? "";
    const status = e.$metadata?.httpStatusCode;
    const raw = errorText(error);
    if (name === "CredentialsProviderError" || /could not load credentials/i.test(e.message ?? "")) {
        return { kind: "no-credentials", text: `no AWS credentials: ${raw} (check the profile, AWS_PROFILE or the environment)` };
    }
    if (rejectedCredentials.has(name)) {
        return { kind: "credentials-rejected", text: `credentials rejected: ${raw}` };
    }
    if (status === undefined && ((e.code && networkCodes.has(e.code)) || name === "TimeoutError" || networkCodes.has(name))) {
        return { kind: "unreachable", text: `cannot reach ${context.endpoint ?? "the endpoint"}: ${raw}` };
    }
    if (name === "NoSuchBucket" || (status === 404 && name === "NotFound")) {
        return { kind: "no-such-bucket", text: name === "NoSuchBucket" ? raw : `the bucket does not exist: ${raw}` };
    }
    if (wrongRegion.has(name) || status === 301) {
        return { kind: "wrong-region", text: `${raw} (the bucket is not in ${context.region ?? "this region"})` };
    }
    if (name === "AccessDenied" || name === "AccessDeniedException" || status === 403) {
        return { kind: "access-denied", text: `${raw} (the credentials lack ${context.action ?? "this permission"})` };
    }
    return { kind: "other", text: raw };
}
