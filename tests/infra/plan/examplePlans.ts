/**
 * The example configs planned once per test run: planning runs the program several times, and the run, diagram and
 * docs tests all look at the same plans.
 */
import { examplePair } from "../../../infra/plan/architectureDoc";
import { planStackFiles } from "../../../infra/plan/command";
import { packageDir } from "../../../infra/project";
import type { StackPlan } from "../../../infra/plan/model";

let plans: Promise<StackPlan[]> | undefined;

export function examplePlans(): Promise<StackPlan[]> {
    plans ??= planStackFiles(examplePair, false, packageDir);
    return plans;
}
