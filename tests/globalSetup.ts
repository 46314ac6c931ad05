/**
 * Mocha global setup (loaded through .mocharc.json): runs once per `mocha` run, in the main process, before any test
 * file and outside every test's timeout. It installs what the tests need that `npm ci` does not: the AWS API
 * emulator (moto) into `.venv/`. A fresh clone's first `npm test` therefore downloads it here, says so, and no test
 * fails because a download outlasted its timeout; later runs find it installed and print nothing.
 */
import { ensureMotoInstalled } from "./emulator/moto";

export function mochaGlobalSetup(): void {
    const started = Date.now();
    const installed = ensureMotoInstalled((line) => process.stderr.write(`${line}\n`));
    if (installed) {
        process.stderr.write(`Installed ${installed} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    }
}
