/**
 * The example configs planned once per test run: planning runs the program several times, and the run, diagram and
 * docs tests all look at the same plans.
 */
import { planStackFiles } from "../../../infra/plan/command";
import type { StackPlan } from "../../../infra/plan/model";

let plans: Promise<StackPlan[]> | undefined;

export function examplePlans(): Promise<StackPlan[]> {
    plans ??= planStackFiles(["primary", "dr"]);
    return plans;
}
