/**
 * The components other Pulumi languages get from this repository as a component package (PulumiPlugin.yaml,
 * provider/index.ts). Pulumi's schema analyzer reads their argument interfaces and doc comments from the TypeScript
 * sources, starting here: package.json `main` points at the build in dist/, which the analyzer cannot map back to
 * sources, so it falls back to this file. TypeScript programs import from "lustre-dr" (the build of components/).
 */
export { LustreClient, LustreWithRepository, ReplicatedBucket } from "./components";
