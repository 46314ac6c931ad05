/**
 * Mocha root hooks for the whole suite (loaded through .mocharc.json).
 */
import { stopEmulators } from "./emulator/moto";

export const mochaHooks = {
    async afterAll(): Promise<void> {
        await stopEmulators();
    },
};
