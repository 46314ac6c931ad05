/**
 * Entry point of the lustre-dr component package for other Pulumi languages (PulumiPlugin.yaml `main`): serves
 * ReplicatedBucket, LustreWithRepository and LustreClient over the provider protocol, with a schema Pulumi infers
 * from their TypeScript argument interfaces (see index.ts), so that `pulumi package add <this repository>`
 * generates a Python, Go, .NET or YAML SDK for them.
 */
import * as path from "path";
import { componentProviderHost } from "@pulumi/pulumi/provider/experimental";
import { LustreClient, LustreWithRepository, ReplicatedBucket } from "../index";

void componentProviderHost({
    name: "lustre-dr",
    // The repository root: package.json (version, description) and tsconfig.json (the sources the schema comes from).
    dirname: path.join(__dirname, ".."),
    components: [ReplicatedBucket, LustreWithRepository, LustreClient],
});
