// Entry point named in Pulumi.yaml. Pulumi calls the exported function and exports what it returns.
import { lustreDrProgram } from "./program";

export = () => lustreDrProgram();
