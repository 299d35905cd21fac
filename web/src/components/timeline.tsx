/**
 * An order's timeline as its owner or an agent reads it (GET /v1/orders/:id/timeline, every page): when, what, the status it
 * left and the amount it moved, and, for agents, the link to the order's workflow in the Temporal Web UI.
 */
import { unwrap, useApi, type OkBody } from '../api';
import type { AltisClient } from '../../../api/client';
import { FormError } from './form';
import { formatDateTime, formatMoney } from '../format';
import { useLoad } from '../load';
import { StatusBadge, Table } from './parts';

type Page = OkBody<Awaited<ReturnType<AltisClient['v1']['orders'][':id']['timeline']['$get']>>>;

async function loadTimeline(api: AltisClient, id: string) {
  let page: Page = await unwrap(await api.v1.orders[':id'].timeline.$get({ param: { id }, query: { limit: '500' } }));
  const entries = [...page.data];
  while (page.next_cursor) {
    const cursor = page.next_cursor;
    page = await unwrap(await api.v1.orders[':id'].timeline.$get({ param: { id }, query: { limit: '500', cursor } }));
    entries.push(...page.data);
  }
  return { workflow: page.workflow, entries };
}

/** `version` changes when the order does (its updated_at), so a servicing action shows up here. */
export function Timeline({ orderId, version }: { orderId: string; version: string }) {
  const { client } = useApi();
  const loaded = useLoad(async () => loadTimeline(await client(), orderId), `${orderId}@${version}`);
  return (
    <div className="card">
      <h2>Timeline</h2>
      {loaded.data?.workflow.web_ui_url ? (
        <p>
          <a href={loaded.data.workflow.web_ui_url} target="_blank" rel="noreferrer">
            Workflow {loaded.data.workflow.id} in the Temporal Web UI
          </a>
        </p>
      ) : null}
      <FormError error={loaded.error} />
      {!loaded.data ? (
        <p role="status">Loading the timeline…</p>
      ) : (
        <Table label="Timeline" head={['When', 'What', 'Status', 'Amount']}>
          {loaded.data.entries.map((e) => (
            <tr key={e.id} className={`timeline-${e.kind.toLowerCase()}`}>
              <td>{formatDateTime(e.at)}</td>
              <td>
                <span className="timeline-kind">{e.kind.toLowerCase()}</span> {e.summary}
              </td>
              <td>{e.status ? <StatusBadge status={e.status} /> : '—'}</td>
              <td>{e.amount ? formatMoney(e.amount) : '—'}</td>
            </tr>
          ))}
        </Table>
      )}
    </div>
  );
}
