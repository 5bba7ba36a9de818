/**
 * A Map that holds at most `limit` entries: setting a new key when it is full drops the oldest one (insertion
 * order). Delete and set again to move a key to the newest end (least recently used goes first).
 */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly limit: number) {
    super();
  }

  override set(key: K, value: V): this {
    if (this.size >= this.limit && !this.has(key)) {
      const oldest = this.keys().next();
      if (!oldest.done) this.delete(oldest.value);
    }
    return super.set(key, value);
  }
}
