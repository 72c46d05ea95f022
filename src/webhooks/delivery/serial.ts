/** Runs a pass at a time: a call while one runs asks for one more right after it. */
export class Serial {
  private running: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly pass: () => Promise<void>,
    private readonly failed: (e: unknown) => void,
  ) {}

  run(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass()
      .catch(this.failed)
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.run();
        }
      });
  }

  /** Once no pass runs or is asked for. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }
}
