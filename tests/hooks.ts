/**
 * Mocha root hooks for the whole suite (loaded through .mocharc.json).
 *
 * The suite runs in parallel (`parallel: true`): each test file runs in a worker process, and root hooks run once
 * per file there. So each file that uses the emulator starts its own moto pair and stops it when it is done, and no
 * moto process outlives the file that started it.
 */
import { stopEmulators } from "./emulator/moto";

export const mochaHooks = {
    async afterAll(): Promise<void> {
        await stopEmulators();
    },
};
