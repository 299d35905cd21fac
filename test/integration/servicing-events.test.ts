/**
 * The servicing events through the real pipeline (issue #14, item 5): outbox → relay → Kafka → the notifications
 * and analytics consumers. Every one of OrderChanged, OrderServicesAdded, SeatChanged and OrderCancelled mails the
 * customer; analytics counts the modifications of sold orders per route and day, and GET /v1/admin/analytics
 * reports the order modification rate per route (orders modified at least once after the sale / orders sold).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import type { Services } from '../../lib/services';
import { appendEvents, type DomainEvent } from '../../services/outbox';
import { createOutboxRelay, type OutboxRelay } from '../../worker/outbox-relay';
import {
  createBookings,
  outboxRows,
  startTestConsumers,
  startTestSmtp,
  uniqueRoute,
  type FakeOrder,
} from '../support/events';
import { eventually } from '../support/harness';
import { openTestServices, silentLogger, testConfig } from '../support/services';
import { tokenFor } from '../support/tokens';

let smtp: Awaited<ReturnType<typeof startTestSmtp>>;
let config: ReturnType<typeof testConfig>;
let services: Services;
let relay: OutboxRelay;
let consumers: Awaited<ReturnType<typeof startTestConsumers>>;
let bookings: ReturnType<typeof createBookings>;

beforeAll(async () => {
  smtp = await startTestSmtp();
  config = testConfig({ APP_SMTP__PORT: String(smtp.port), APP_CONSUMERS__RETRY_BASE_MS: '20' });
  services = await openTestServices(config);
  bookings = createBookings(services.db, config);
  relay = createOutboxRelay({ ...services, config, logger: silentLogger() });
  await relay.start();
  consumers = await startTestConsumers({ kafka: services.kafka, admin: services.kafkaAdmin, db: services.db, config });
});

afterAll(async () => {
  await consumers?.stop();
  await relay?.stop();
  await services?.close();
  await smtp?.close();
});

const money = (amount: number) => ({ amount, currency: 'USD' });

/** Servicing events of a sold order as their writers append them (outbox, in a transaction). */
async function emit(order: FakeOrder, type: string, payload: Record<string, unknown> = {}) {
  const event: DomainEvent = {
    type,
    aggregateId: order.id,
    occurredAt: new Date(),
    payload: { order_id: order.id, route: order.route, ...payload },
  };
  await services.db.transaction((tx) => appendEvents(tx, [event]));
}

const SERVICING = ['OrderChanged', 'OrderServicesAdded', 'SeatChanged', 'OrderCancelled'] as const;

async function applied(orderIds: string[]) {
  await eventually(
    async () => {
      const rows = (await outboxRows(services.db, orderIds)).map((r) => r.id);
      const [n, a] = await Promise.all([
        consumers.processed(consumers.notifications, rows),
        consumers.processed(consumers.analytics, rows),
      ]);
      // Every event reaches analytics; notifications take the ones they mail (and mark the rest seen too).
      return a === rows.length && n > 0;
    },
    (ok) => ok,
    30_000,
  );
}

describe('servicing events through Kafka', () => {
  it('mail the customer for each servicing event and report the modification rate per route', async () => {
    const route = uniqueRoute();
    const sold = await Promise.all([1, 2, 3, 4].map(() => bookings.propose({ route, total: 30_000 })));
    for (const o of sold) await bookings.payAndFulfil(o);
    const unpaid = await bookings.propose({ route, total: 30_000 });
    const [changed, serviced, cancelled] = sold as [FakeOrder, FakeOrder, FakeOrder, FakeOrder];

    await emit(changed, 'OrderChanged', { change_total_amount: money(4_200) });
    await emit(serviced, 'OrderServicesAdded', { total_amount: money(3_500) });
    await emit(serviced, 'SeatChanged', { amount: money(1_500) });
    await emit(serviced, 'SeatChanged', { amount: money(0) });
    await emit(cancelled, 'OrderCancelled', {
      reason: 'customer request',
      after_sale: true,
      refund_amount: money(25_000),
      penalty_amount: money(5_000),
    });
    // A cancel before payment is no modification after a sale.
    await emit(unpaid, 'OrderCancelled', { reason: 'customer request', after_sale: false, refund_amount: money(0) });
    const all = [...sold, unpaid];
    await applied(all.map((o) => o.id));
    const expectedTypes = new Map<string, string[]>([
      [changed.id, ['OrderChanged']],
      [serviced.id, ['OrderServicesAdded', 'SeatChanged', 'SeatChanged']],
      [cancelled.id, ['OrderCancelled']],
      [unpaid.id, ['OrderCancelled']],
    ]);
    const mailTypes = (o: FakeOrder) =>
      smtp.mails
        .filter((m) => m.orderId === o.id)
        .map((m) => /^X-Altis-Event-Type: (.*)$/m.exec(m.raw)?.[1]?.trim())
        .filter((t) => SERVICING.includes(t as (typeof SERVICING)[number]));
    await eventually(
      async () => [...expectedTypes].every(([id, types]) => mailTypes({ id } as FakeOrder).length === types.length),
      (ok) => ok,
      30_000,
    );
    for (const [id, types] of expectedTypes) expect(mailTypes({ id } as FakeOrder).sort()).toEqual([...types].sort());

    const mail = (o: FakeOrder, type: string) =>
      smtp.mails.find((m) => m.orderId === o.id && m.raw.includes(`X-Altis-Event-Type: ${type}`))!.raw;
    expect(mail(changed, 'OrderChanged')).toMatch(/Subject: Your booking [A-Z0-9]{6} has been changed/);
    expect(mail(changed, 'OrderChanged')).toContain('42.00 USD');
    expect(mail(serviced, 'OrderServicesAdded')).toMatch(/Subject: Extras added to your booking/);
    expect(mail(serviced, 'SeatChanged')).toMatch(/Subject: Your seat on booking [A-Z0-9]{6} has changed/);
    expect(mail(cancelled, 'OrderCancelled')).toContain('250.00 USD');
    expect(mail(cancelled, 'OrderCancelled')).toContain('50.00 USD');

    // Analytics: 4 sold, 3 of them modified (one twice more), the unpaid cancel not counted → 0.75.
    const admin = await tokenFor(services, config, 'admin');
    const app = createApp({ config, logger: silentLogger(), ...services });
    const res = await app.request(`/v1/admin/analytics?route=${route.join('-')}`, {
      headers: { Authorization: `Bearer ${admin.token}` },
    });
    expect(res.status).toBe(200);
    const report = (await res.json()) as {
      routes: {
        route: string;
        orders_paid: number;
        modifications: number;
        orders_modified: number;
        modification_rate: number | null;
      }[];
      days: { modifications: number; orders_modified: number }[];
    };
    expect(report.routes).toHaveLength(1);
    expect(report.routes[0]).toMatchObject({
      route: route.join('-'),
      orders_paid: 4,
      modifications: 5,
      orders_modified: 3,
      modification_rate: 0.75,
    });
    expect(report.days.reduce((n, d) => n + d.orders_modified, 0)).toBe(3);
  });
});
