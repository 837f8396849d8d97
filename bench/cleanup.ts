// Everything the benchmark starts is undone at the end: daemons stopped, fakes closed, the temp
// folder removed; also after a failure, and (synchronously, as a last resort) on Ctrl-C.

/** Undo steps, newest first; each runs once, whatever happened before. */
export class Cleanup {
  private readonly steps: { name: string; run: () => Promise<unknown> }[] = [];
  /** Synchronous last resort for a signal: kill the daemon, remove the folder. */
  private readonly urgent: (() => void)[] = [];

  add(name: string, run: () => Promise<unknown>, urgent?: () => void): void {
    this.steps.push({ name, run });
    if (urgent) this.urgent.push(urgent);
  }

  async run(): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step.run();
      } catch (err) {
        console.error(`cleanup: ${step.name} failed:`, err);
      }
    }
    this.urgent.length = 0;
  }

  runUrgent(): void {
    for (const step of this.urgent.splice(0).reverse()) {
      try {
        step();
      } catch (err) {
        console.error('cleanup after a signal failed:', err);
      }
    }
  }
}
