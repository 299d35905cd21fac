/**
 * The WHERE of a row named by several columns: `matching(seatAssignments, { orderId, flightId, seatNumber })` is
 * `order_id = $1 AND flight_id = $2 AND seat_number = $3`, each value typed by its column. A value left undefined
 * is a mistake (it would widen the statement to more rows), so it throws rather than being skipped.
 */
import { and, eq, getTableColumns, type SQL, type Table } from 'drizzle-orm';

export function matching<T extends Table>(
  table: T,
  values: { [K in keyof T['$inferSelect']]?: T['$inferSelect'][K] },
): SQL {
  const columns = getTableColumns(table);
  const conditions = Object.entries(values).map(([key, value]) => {
    if (value === undefined) throw new Error(`matching(${key}): no value`);
    return eq(columns[key]!, value);
  });
  return and(...conditions)!;
}
