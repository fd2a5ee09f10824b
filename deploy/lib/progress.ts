/** Progress lines: one per host and step, with its time, as each step ends. */
export class Progress {
  private readonly started = performance.now();

  constructor(private readonly write: (line: string) => void = (l) => process.stdout.write(`${l}\n`)) {}

  line(text: string): void {
    this.write(text);
  }

  /** Runs a step and prints "[host] step: ok (1.2 s)" or its failure; rethrows the failure. */
  async step<T>(host: string, step: string, work: () => Promise<T>, detail?: (result: T) => string): Promise<T> {
    const t0 = performance.now();
    try {
      const result = await work();
      const more = detail ? detail(result) : '';
      this.write(`  [${host}] ${step}: ok (${seconds(t0)})${more ? ` ${more}` : ''}`);
      return result;
    } catch (err) {
      this.write(`  [${host}] ${step}: FAILED (${seconds(t0)})`);
      throw err;
    }
  }

  total(): string {
    return seconds(this.started);
  }
}

function seconds(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(1)} s`;
}
