/**
 * Label values from an open set (peer IDs) kept to a bounded set: the first `max` distinct values
 * keep their own, every later one becomes `other`. Values seen once keep their label for the
 * node's life, so a series never changes owner midway.
 */
export class BoundedLabel {
  private readonly seen = new Set<string>()

  constructor (private readonly max: number, private readonly other: string) {}

  value (key: string): string {
    if (this.seen.has(key)) return key
    if (this.seen.size >= this.max) return this.other
    this.seen.add(key)
    return key
  }
}
