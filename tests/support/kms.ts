/**
 * KMS keys on the emulator, for tests of encryption as part of an object's identity. The project ships no KMS client
 * (nothing in infra/ calls KMS), so this speaks KMS's JSON protocol to moto directly. moto checks no signature; the
 * Authorization header only carries the region. Every request goes to the emulator's 127.0.0.1 endpoint.
 */
export async function createKmsKey(endpoint: string, region: string, description = "lustre-dr test key"): Promise<string> {
    if (!/^http:\/\/127\.0\.0\.1:\d+\/?$/.test(endpoint)) {
        throw new Error(`createKmsKey only talks to the local emulator, got ${endpoint}`);
    }
    const response = await fetch(endpoint, {
        method: "POST",
        headers: {
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "TrentService.CreateKey",
            Authorization: `AWS4-HMAC-SHA256 Credential=testing/20260101/${region}/kms/aws4_request, SignedHeaders=host, Signature=0`,
        },
        body: JSON.stringify({ Description: description }),
    });
    const body = (await response.json()) as { KeyMetadata?: { Arn?: string } };
    const arn = body.KeyMetadata?.Arn;
    if (!response.ok || arn === undefined) {
        throw new Error(`CreateKey on ${endpoint} answered ${response.status}: ${JSON.stringify(body)}`);
    }
    return arn;
}
