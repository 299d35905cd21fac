import type { Client } from '@temporalio/client';
import type { Cabin } from '../domain/cabins';
import { couponStatus } from '../domain/check-in';
import type { ProductType } from '../domain/offer';
import { recordLocator } from '../domain/record-locator';
import { assignRefs } from '../domain/travelers';
import { readsAfterCall } from '../lib/coalesce';
import type { PiiCipher } from '../lib/pii';
import { getOrderState, orderWorkflowId, type OrderView } from '../workflows/messages';
import type { Customer } from './deps';
import type { OrderResource } from './order-schema';

export type { OrderResource } from './order-schema';

import type { OrderReads, OrderRow } from '../services/order-reads';
import { segmentView } from '../services/order-changes';

/** Reads for the order routes: Postgres is the record, the workflow query adds the live view. */
export interface OrderReadDeps {
  reads: OrderReads;
  temporal: Client;
  pii: PiiCipher;
}

/** The order if the caller may see it; another customer's order is reported as not found (no existence leak). */
export const findOwnedOrder = (
  reads: OrderReads,
  id: string,
  customer: Customer,
  owners: string[] | Promise<string[]>,
) => reads.owned(id, customer, owners);

async function queryLiveView(temporal: Client, orderId: string): Promise<OrderView | null> {
  try {
    return await temporal.workflow.getHandle(orderWorkflowId(orderId)).query(getOrderState);
  } catch {
    return null; // closed long ago, or Temporal unreachable: the Postgres record still answers
  }
}

/** Per Temporal client: the live views being read, shared by the reads of one order that overlap. */
const liveReads = new WeakMap<
  Client,
  (orderId: string, read: () => Promise<OrderView | null>) => Promise<OrderView | null>
>();

/**
 * The order workflow's live view, queried after the call began: concurrent reads of one order share queries
 * (lib/coalesce.ts), which matters because a workflow answers its queries one at a time.
 */
export function liveView(temporal: Client, orderId: string): Promise<OrderView | null> {
  let shared = liveReads.get(temporal);
  if (!shared) liveReads.set(temporal, (shared = readsAfterCall()));
  return shared(orderId, () => queryLiveView(temporal, orderId));
}

const money = (amount: number, currency: string) => ({ amount, currency });
// The workflow's input types (workflows/messages.ts) keep cabins and product types as strings; offers and trips
// write only the domain's values, which the Order contract (api/order-schema.ts) names.
const asCabin = (cabin: string) => cabin as Cabin;

/**
 * One order as the API answers it; reads its travelers, items and payments, and the live view unless told not to
 * — or takes the view an update just answered with (`view`), which saves a query to the workflow.
 */
export async function orderResource(
  deps: OrderReadDeps,
  row: OrderRow,
  opts: { live?: boolean; view?: OrderView } = {},
): Promise<OrderResource> {
  if (opts.view) {
    const [resource] = await orderResources(deps, [row], { live: false });
    return { ...resource!, live: liveOf(opts.view) };
  }
  const [resource] = await orderResources(deps, [row], opts);
  return resource!;
}

/**
 * Orders as the API answers them, in the order given: three queries for the whole batch (travelers, items,
 * payments by order id), whatever its size, plus one workflow query per order for the live view unless
 * `live: false` (a page of the list answers without it).
 */
export async function orderResources(
  deps: OrderReadDeps,
  rows: OrderRow[],
  opts: { live?: boolean } = {},
): Promise<OrderResource[]> {
  if (rows.length === 0) return [];
  return assemble(
    deps,
    rows,
    await orderParts(
      deps,
      rows.map((r) => r.id),
      opts,
    ),
  );
}

/**
 * One order as GET /v1/orders/:id answers it, for the caller who owns it (`owned` reads the row and checks):
 * its parts and live view are read at the same time as the check, in one round, and shown only once it passed.
 * Concurrent reads of one order share the reading of its parts (lib/coalesce.ts: each read began after the call).
 */
export async function ownedOrderResource(
  deps: OrderReadDeps,
  id: string,
  owned: () => Promise<OrderRow>,
): Promise<OrderResource> {
  const orderId = id.toLowerCase();
  let shared = partReads.get(deps.reads);
  if (!shared) partReads.set(deps.reads, (shared = readsAfterCall()));
  const [row, parts] = await Promise.all([owned(), shared(orderId, () => orderParts(deps, [orderId], {}))]);
  return assemble(deps, [row], parts)[0]!;
}

/** Per order reads (an app's): the parts of one order being read, shared by the reads of it that overlap. */
const partReads = new WeakMap<OrderReads, (orderId: string, read: () => Promise<OrderParts>) => Promise<OrderParts>>();

type OrderParts = Awaited<ReturnType<typeof orderParts>>;

/** What the resources of these orders are made of besides their rows, read at once. */
async function orderParts(deps: OrderReadDeps, ids: string[], opts: { live?: boolean }) {
  const [parties, changes, lives, disruptions] = await Promise.all([
    deps.reads.parties(ids),
    deps.reads.changes(ids),
    opts.live === false
      ? Promise.resolve(ids.map(() => null))
      : Promise.all(ids.map((id) => liveView(deps.temporal, id))),
    deps.reads.disruptions(ids),
  ]);
  return { ...parties, changes, lives, disruptions };
}

function assemble(deps: OrderReadDeps, rows: OrderRow[], parts: OrderParts): OrderResource[] {
  const { travelers: pax, items, payments: pays, changes, lives, disruptions } = parts;
  const paxOf = groupBy(pax, (t) => t.orderId);
  const itemsOf = groupBy(items, (i) => i.orderId);
  const paysOf = groupBy(pays, (p) => p.orderId);
  const changesOf = groupBy(changes, (c) => c.orderId);
  return rows.map((given, n) => {
    // A disrupted order as it is now: its disruption and the new times it wrote to the order commit together, and
    // the order row read after the disruption shows them (the one read before it may not).
    const row = disruptions.rows.get(given.id) ?? given;
    const live = lives[n] ?? null;
    return {
      id: row.id,
      booking_reference: recordLocator(row.id),
      status: row.status,
      source: row.source,
      offer_id: row.offerId,
      customer_id: row.customerId,
      total: money(row.totalAmount, row.currency),
      expires_at: row.expiresAt.toISOString(),
      created_at: row.createdAt.toISOString(),
      updated_at: row.updatedAt.toISOString(),
      segments: (row.offer?.segments ?? []).map(segmentView),
      // In position order: the refs are the ones the offer's and the commit's items were matched by.
      travelers: assignRefs(paxOf.get(row.id) ?? []).map((t) => ({
        id: t.id,
        ptc: t.ptc,
        passenger_ref: t.ref,
        first_name: deps.pii.decrypt(t.firstName),
        last_name: deps.pii.decrypt(t.lastName),
        date_of_birth: t.dateOfBirth ? deps.pii.decrypt(t.dateOfBirth) : null,
        gender: t.gender,
      })),
      items: (itemsOf.get(row.id) ?? []).map((i) => ({
        id: i.id,
        product_type: i.productType as ProductType,
        product_code: i.productCode,
        flight_id: i.flightId,
        traveler_id: i.travelerId,
        cabin: i.cabin === null ? null : asCabin(i.cabin),
        seat_number: i.seatNumber,
        price: money(i.amount, i.currency),
      })),
      payments: (paysOf.get(row.id) ?? []).map((p) => ({
        attempt: p.attempt,
        status: p.status,
        charge_id: p.chargeId,
        decline_code: p.declineCode,
        amount: money(p.amount, p.currency),
        refunded: p.refundedAmount === null ? null : money(p.refundedAmount, p.currency),
      })),
      conditions: row.offer?.conditions ?? null,
      changes: (changesOf.get(row.id) ?? []).map((c) => ({
        id: c.id,
        change_offer_id: c.changeOfferId,
        removed: c.removed.map(segmentView),
        added: c.added.map(segmentView),
        change_total_amount: money(c.changeTotalAmount, c.currency),
        charge_id: c.chargeId,
        refund_id: c.refundId,
        exchanged_tickets: c.exchanged,
        created_at: c.createdAt.toISOString(),
      })),
      live: live ? liveOf(live) : null,
      disruption: disruptions.views.get(row.id) ?? null,
    };
  });
}

/** The workflow's view of an order, as the resource shows it. */
const liveOf = (live: OrderView) => ({
  status: live.status,
  expires_at: live.expiresAt,
  payment: live.payment && {
    attempt: live.payment.attempt,
    status: live.payment.status,
    charge_id: live.payment.chargeId,
    decline_code: live.payment.declineCode,
  },
  history: live.history,
});

function groupBy<T>(rows: T[], key: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const k = key(row);
    const group = groups.get(k);
    if (group) group.push(row);
    else groups.set(k, [row]);
  }
  return groups;
}

export const listOrders = (reads: OrderReads, owners: string[], limit: number, cursor?: string) =>
  reads.page(owners, limit, cursor);

export async function fulfillmentOf(deps: OrderReadDeps, row: OrderRow) {
  const { docs, passes, seats, coupons } = await deps.reads.documents(row.id);
  const dayOfTravel = (ticket: string, flightId: string) =>
    coupons.find((c) => c.ticketNumber === ticket && c.flightId === flightId);
  const seatOf = (travelerId: string, flightId: string) =>
    seats.find((s) => s.travelerId === travelerId && s.flightId === flightId)?.seatNumber ?? null;
  const docsOf = (kind: 'TKT' | 'EMD') => docs.filter((d) => d.kind === kind);
  /** What a ticket and an EMD both say: its number, whose it is, the flights it covers. */
  const documentOf = (d: (typeof docs)[number]) => ({
    number: d.number,
    traveler_id: d.travelerId,
    flight_ids: d.flightIds,
  });
  return {
    order_id: row.id,
    status: row.status,
    tickets: docsOf('TKT').map((d) => ({
      ...documentOf(d),
      status: d.status,
      exchanged_for: d.exchangedFor,
      // One coupon per flight, with the seat the traveler sits in (the boarding pass carries the same).
      coupons: d.flightIds.map((f) => ({
        flight_id: f,
        status: d.status,
        // An exchanged coupon's seat went with the exchange.
        seat_number: d.status === 'EXCHANGED' ? null : seatOf(d.travelerId, f),
        // The day of travel's status (checked in, boarded, flown, no-show); the ticket's own status wins.
        coupon_status: couponStatus(d.status, dayOfTravel(d.number, f)?.status),
        check_in_sequence: dayOfTravel(d.number, f)?.sequence ?? null,
      })),
      issued_at: d.issuedAt.toISOString(),
    })),
    emds: docsOf('EMD').map((d) => ({
      ...documentOf(d),
      order_item_id: d.orderItemId,
      type: d.emdType,
      rfic: d.rfic,
      rfisc: d.rfisc,
      associated_ticket: d.associatedTicket,
      // A service removed before use has its EMD voided.
      status: d.voidedAt ? ('VOIDED' as const) : d.status,
    })),
    boarding_passes: passes.map((p) => ({ traveler_id: p.travelerId, flight_id: p.flightId, bcbp: p.bcbp })),
  };
}
