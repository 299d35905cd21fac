import type { ReactNode } from 'react';
/** A table's header row: one column header per name. */
export function TableHead({ columns }: { columns: string[] }) {
  return (
    <thead>
      <tr>
        {columns.map((h) => (
          <th key={h} scope="col">
            {h}
          </th>
        ))}
      </tr>
    </thead>
  );
}

/** A row's data cells, in its columns' order (the row's header cell comes before them). */
export function Cells({ values }: { values: ReactNode[] }) {
  return values.map((v, i) => <td key={i}>{v}</td>);
}
