/**
 * Where one side of the DR pair is, and how to reach it: the AWS SDK's standard chain, optionally narrowed
 * to a named profile and an endpoint (the SDK itself also honours `AWS_PROFILE` and `AWS_ENDPOINT_URL`).
 */
export interface SideLocation {
    /** Region of this side, e.g. `us-east-1`. */
    readonly region: string;
    /** Named profile from the shared AWS config files. @default the SDK's default chain */
    readonly profile?: string;
    /** Endpoint override, e.g. an emulator at `http://127.0.0.1:5000`. @default the SDK's default */
    readonly endpoint?: string;
}

/** The subset of SDK v3 client configuration every lustre-dr tool sets. */
export interface SideClientConfig {
    region: string;
    profile?: string;
    endpoint?: string;
    forcePathStyle?: boolean;
    maxAttempts: number;
}

/**
 * Client configuration for one side. Retries are the SDK's own (standard mode); path-style addressing is only
 * forced for an explicit endpoint, because emulators do not serve virtual-hosted bucket names.
 */
export function sideClientConfig(side: SideLocation): SideClientConfig {
    const config: SideClientConfig = { region: side.region, maxAttempts: 5 };
    if (side.profile) {
        config.profile = side.profile;
    }
    if (side.endpoint) {
        config.endpoint = side.endpoint;
        config.forcePathStyle = true;
    }
    return config;
}
