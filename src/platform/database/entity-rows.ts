import type { DataSource, EntityTarget } from 'typeorm';

/** An entity's columns: property name and database name. */
type Columns = ReadonlyArray<{ readonly property: string; readonly column: string }>;

const known = new WeakMap<object, Columns>();

function columnsOf(dataSource: DataSource, target: EntityTarget<object>): Columns {
  let columns = known.get(target as object);
  if (!columns) {
    // As the ORM reads an entity: a column marked not to be selected (a password hash) is left out.
    columns = dataSource
      .getMetadata(target)
      .columns.filter((c) => c.isSelect)
      .map((c) => ({ property: c.propertyName, column: c.databaseName }));
    known.set(target as object, columns);
  }
  return columns;
}

/**
 * The SELECT list of an entity's columns for plain SQL (over the row `alias` when given), leaving out `except`
 * (database names).
 */
export function selectColumns(
  dataSource: DataSource,
  target: EntityTarget<object>,
  alias?: string,
  except: readonly string[] = [],
): string {
  return columnsOf(dataSource, target)
    .filter((c) => !except.includes(c.column))
    .map((c) => (alias ? `${alias}.${c.column}` : c.column))
    .join(', ');
}

/**
 * Rows read with plain SQL (each column under its database name) as entities. For the column types the entities
 * here use (uuid, text, int, bigint, boolean, timestamptz, jsonb, arrays) the driver's values are the ones the ORM's
 * hydration gives; read paths that are asked often skip its query building and hydration. A column the row lacks
 * stays unset.
 */
export function entitiesOf<T extends object>(
  dataSource: DataSource,
  target: new () => T,
  rows: ReadonlyArray<Record<string, unknown>>,
): T[] {
  const columns = columnsOf(dataSource, target);
  return rows.map((row) => {
    const entity = new target() as Record<string, unknown>;
    for (const { property, column } of columns) {
      if (column in row) entity[property] = row[column];
    }
    return entity as T;
  });
}
