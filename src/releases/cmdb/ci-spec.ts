/** An affected configuration item as a release names it: `billing-api`, or `billing-api@4.2.1` for its own version. */
export interface CiSpec {
  readonly name: string;
  /** The version this item takes; undefined: the release's version. */
  readonly version: string | undefined;
}

export function parseCiSpecs(values: readonly string[]): CiSpec[] {
  const byName = new Map<string, CiSpec>();
  for (const raw of values) {
    const value = raw.trim();
    if (!value) continue;
    const at = value.lastIndexOf('@');
    const spec =
      at > 0 && at < value.length - 1
        ? {
            name: value.slice(0, at).trim(),
            version: value
              .slice(at + 1)
              .trim()
              .slice(0, 64),
          }
        : { name: value, version: undefined };
    byName.set(spec.name, spec);
  }
  return [...byName.values()];
}

/** The type a new item gets from the source of the release that first names it. */
export function itemTypeOf(source: string): string {
  if (source === 'project-info') return 'document';
  return ['hardware', 'software', 'document'].includes(source) ? source : 'other';
}
