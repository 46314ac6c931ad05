import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { appendDrillHistory, readLastDrill, resolveDrillHistoryFile } from "../../../infra/drill/history";
import { sampleDrillResult } from "../../support/drillResult";

describe("infra/drill/history", () => {
    let dir: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "drill-history-"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("defaults to .lustre-dr/drill-history.jsonl in the project and resolves --history against it", () => {
        expect(resolveDrillHistoryFile(undefined, "/proj")).to.equal("/proj/.lustre-dr/drill-history.jsonl");
        expect(resolveDrillHistoryFile("out/h.jsonl", "/proj")).to.equal("/proj/out/h.jsonl");
        expect(resolveDrillHistoryFile("/abs/h.jsonl", "/proj")).to.equal("/abs/h.jsonl");
    });

    it("appends one line per drill, creating the directory, and reads back the last", async () => {
        const file = path.join(dir, "nested", "history.jsonl");
        await appendDrillHistory(file, sampleDrillResult({ runId: "first" }));
        await appendDrillHistory(file, sampleDrillResult({ runId: "second", passed: false, failures: ["loop: growing"] }));
        expect(fs.readFileSync(file, "utf8").trim().split("\n")).to.have.length(2);
        const last = await readLastDrill(file);
        expect(last).to.include({ runId: "second", passed: false });
    });

    it("has no last drill when the file does not exist", async () => {
        expect(await readLastDrill(path.join(dir, "missing.jsonl"))).to.equal(undefined);
    });

    it("skips a torn last line and entries of another schema", async () => {
        const file = path.join(dir, "history.jsonl");
        await appendDrillHistory(file, sampleDrillResult({ runId: "good" }));
        fs.appendFileSync(file, `${JSON.stringify({ ...sampleDrillResult(), schema: 2 })}\n{"schema":1,"runId":"torn`);
        expect((await readLastDrill(file))?.runId).to.equal("good");
    });
});
