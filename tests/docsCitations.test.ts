import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";

const root = path.resolve(__dirname, "..");
const documents = ["README.md", ...fs.readdirSync(path.join(root, "docs")).filter((f) => f.endsWith(".md")).map((f) => path.join("docs", f))];

describe("docs cite only what is in the repository", () => {
    for (const document of documents) {
        it(document, () => {
            const text = fs.readFileSync(path.join(root, document), "utf8");
            const missing = [...text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)]
                .map((m) => m[1])
                .filter((target) => !/^[a-z]+:/.test(target))
                .filter((target) => !fs.existsSync(path.resolve(root, path.dirname(document), target)));
            expect(missing, "links to files that do not exist").to.deep.equal([]);
            // the design notes the project was built from are not part of it
            expect(text).to.not.match(/design\.md|design document/i);
        });
    }

    it("the README's deploy-by-hand steps run the policy pack on every update", () => {
        const text = fs.readFileSync(path.join(root, "README.md"), "utf8");
        const section = text.slice(text.indexOf("## Deploy by hand"), text.indexOf("After that, each `pulumi up`"));
        const ups = section.split("\n").filter((line) => /\bpulumi up\b/.test(line) && !line.trim().startsWith("#"));
        expect(ups).to.have.length(4);
        expect(ups.every((line) => line.includes("--policy-pack infra/policy"))).to.equal(true);
    });
});
