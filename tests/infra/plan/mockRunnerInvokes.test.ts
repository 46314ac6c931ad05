import { expect } from "chai";
import * as aws from "@pulumi/aws";
import { runWithMocks } from "../../../infra/plan/mockRunner";

/** A resource whose input comes from an Output-form invoke, the shape that used to hang a run when unanswered. */
function programUsingAnInvoke(): void {
    const parameter = aws.ssm.getParameterOutput({ name: "/aws/service/example" });
    new aws.ec2.Instance("client", { ami: parameter.insecureValue, instanceType: "t3.micro" });
}

describe("mock runner invokes", () => {
    it("fails the run at once, naming the token, when an invoke has no answer", async () => {
        let error: unknown;
        try {
            await runWithMocks(programUsingAnInvoke, { stack: "primary" });
        } catch (caught) {
            error = caught;
        }
        // An unanswered invoke used to hang the run until mocha's timeout, which fails this test; no wall-clock margin.
        expect(String(error)).to.include("unexpected invoke aws:ssm/getParameter:getParameter");
    });

    it("answers invokes from the world, and a failed run does not poison the next one", async () => {
        const run = await runWithMocks(programUsingAnInvoke, {
            stack: "primary",
            world: { invokes: { "aws:ssm/getParameter:getParameter": (inputs) => ({ name: inputs.name, insecureValue: "ami-0abc", value: "ami-0abc" }) } },
        });
        expect(run.resources.filter((r) => r.type === "aws:ec2/instance:Instance").map((r) => r.inputs.ami)).to.deep.equal(["ami-0abc"]);
    });
});
