/**
 * One abort signal per unit of work, fanned out from the run's signal through a single listener.
 *
 * The SDK adds an `abort` listener to the signal of every request in flight. Handing the run's one signal to 32
 * concurrent writers (each with HEADs, tag reads, multipart parts) piles dozens of listeners onto it and Node warns
 * `MaxListenersExceededWarning`; raising the limit would only hide that. Here the run's signal carries one
 * listener, each unit of work gets its own controller (a handful of listeners at most), and a finished unit's
 * controller is dropped, so nothing accumulates however long the run.
 */
export class SignalFanOut {
    private readonly live = new Set<AbortController>();
    private readonly onAbort = (): void => {
        for (const controller of this.live) controller.abort(this.parent?.reason);
    };

    constructor(private readonly parent?: AbortSignal) {
        parent?.addEventListener("abort", this.onAbort, { once: true });
    }

    /** Runs `work` with a signal of its own that aborts when the run's does; none when the run has none. */
    async run<T>(work: (signal: AbortSignal | undefined) => Promise<T>): Promise<T> {
        if (!this.parent) {
            return work(undefined);
        }
        this.parent.throwIfAborted();
        const controller = new AbortController();
        this.live.add(controller);
        try {
            return await work(controller.signal);
        } finally {
            this.live.delete(controller);
        }
    }

    /** Removes the one listener from the run's signal. */
    dispose(): void {
        this.parent?.removeEventListener("abort", this.onAbort);
        this.live.clear();
    }
}
