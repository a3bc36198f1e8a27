/**
 * Commands that came before their test's config, by test id: config, trigger and control travel on
 * different topics, so a trigger or a cancel can overtake its config. Each is held until the config
 * comes (`take`) or `waitMs` pass; past `maxHeld`, the oldest is dropped.
 */
export class HeldForConfig<V> {
  private readonly held = new Map<string, { value: V; expiry: NodeJS.Timeout }>();

  constructor(
    private readonly waitMs: number,
    private readonly maxHeld = Infinity,
  ) {}

  /** False, holding nothing new, when a command is already held for the test. */
  hold(testId: string, value: V, onExpiry: () => void = () => undefined): boolean {
    if (this.held.has(testId)) return false;
    if (this.held.size >= this.maxHeld) this.take(this.held.keys().next().value!);
    const expiry = setTimeout(() => {
      this.held.delete(testId);
      onExpiry();
    }, this.waitMs);
    this.held.set(testId, { value, expiry });
    return true;
  }

  take(testId: string): V | undefined {
    const entry = this.held.get(testId);
    if (entry === undefined) return undefined;
    clearTimeout(entry.expiry);
    this.held.delete(testId);
    return entry.value;
  }

  clear(): void {
    for (const testId of [...this.held.keys()]) this.take(testId);
  }
}
