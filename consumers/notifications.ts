/**
 * Notifications: mails the order's contact on a confirmation with tickets (OrderFulfilled), an expired hold
 * (OrderExpired), a cancellation (OrderCancelled, with its refund and penalty), a refund (RefundIssued), each
 * change after the sale (OrderChanged, OrderServicesAdded, SeatChanged) and a payment that arrived too late and was
 * refunded (LatePaymentRefunded), over SMTP with nodemailer.
 *
 * The contact and the passenger names are read from Postgres and decrypted here (they are never in an event);
 * logs carry the order id, the event id and a masked address, never a name or a mail body. Each mail's
 * Message-ID is derived from its event id, so a mail sent twice (a commit lost after the send) is recognisable.
 */
import { asc, eq } from 'drizzle-orm';
import nodemailer from 'nodemailer';
import type { AppConfig } from '../config';
import type { Tx } from '../db/client';
import { travelers, type OrderOfferRecord } from '../db/schema';
import { formatMoney, type Money } from '../domain/money';
import { recordLocator } from '../domain/record-locator';
import { flightDesignator } from '../domain/vocabulary';
import type { Logger } from '../lib/logger';
import { NOTIFICATIONS_CONSUMER, NOTIFIED_EVENTS, type EventEnvelope } from '../lib/order-events';
import { maskEmail, type PiiCipher } from '../lib/pii';
import type { OrderSegment } from '../domain/order';
import { orderOfEvent, type EventHandler } from './runner';

export interface OutgoingMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  messageId: string;
  headers: Record<string, string>;
}

/** What the handler needs of a mail transport (nodemailer's, or a test's). */
export interface Mailer {
  sendMail(mail: OutgoingMail): Promise<unknown>;
  close(): void;
}

export function createSmtpMailer(config: Pick<AppConfig, 'smtp'>): Mailer {
  const transport = nodemailer.createTransport({
    host: config.smtp.host,
    port: config.smtp.port,
    secure: false, // STARTTLS when the server offers it
    pool: true,
    maxConnections: 2,
    // Well inside the consumer's session timeout: a mail server that hangs fails the try instead of the member.
    connectionTimeout: 5_000,
    greetingTimeout: 5_000,
    socketTimeout: 8_000,
  });
  return {
    sendMail: (mail) => transport.sendMail(mail),
    close: () => transport.close(),
  };
}

export interface NotificationDeps {
  config: Pick<AppConfig, 'smtp'>;
  logger: Logger;
  pii: PiiCipher;
  mailer: Mailer;
  /** Defaults to "notifications"; tests use names of their own. */
  name?: string;
}

interface FulfilledPayload {
  tickets?: { number: string; traveler_id: string; flight_ids: string[] }[];
  emds?: string[];
}

/** "AL123" whether the segment keeps the number with or without its carrier (domain/vocabulary.ts). */
const flightOf = (s: Pick<OrderSegment, 'carrier' | 'flightNumber'>) => {
  const number = s.flightNumber ?? '';
  return s.carrier ? flightDesignator(s.carrier, number) : number;
};

/** The servicing events' mails: one generic template each (what changed is on the order, which the mail links). */
const SERVICING_MAILS: Record<string, { subject: (pnr: string) => string; line: string }> = {
  OrderChanged: {
    subject: (pnr) => `Your booking ${pnr} has been changed`,
    line: 'Your booking has been changed as you asked. Your new itinerary and e-tickets are below and in your booking.',
  },
  OrderServicesAdded: {
    subject: (pnr) => `Extras added to your booking ${pnr}`,
    line: 'The extras you chose have been added to your booking and their documents (EMD) issued.',
  },
  SeatChanged: {
    subject: (pnr) => `Your seat on booking ${pnr} has changed`,
    line: 'Your seat has been changed as you asked; your boarding pass has been reissued with it.',
  },
};

/** The amount an event names (minor units + currency), written the way the payloads write money. */
const moneyIn = (payload: unknown, key: string): Money | null => {
  const m = (payload as Record<string, unknown> | null)?.[key] as Partial<Money> | undefined;
  return m && typeof m.amount === 'number' && typeof m.currency === 'string'
    ? { amount: m.amount, currency: m.currency }
    : null;
};

export function notificationsHandler(deps: NotificationDeps): EventHandler {
  const { config, pii, mailer } = deps;
  const name = deps.name ?? NOTIFICATIONS_CONSUMER;
  const logger = deps.logger.child({ consumer: name });

  async function compose(
    event: EventEnvelope,
    tx: Tx,
    order: { currency: string; totalAmount: number; offer: OrderOfferRecord | null },
  ) {
    const pnr = recordLocator(event.order_id);
    const segments = (order.offer?.segments ?? []).map(
      (s) => `  ${flightOf(s)}  ${s.origin ?? '?'} → ${s.destination ?? '?'}  departs ${s.departureAt ?? '?'}`,
    );
    const footer = ['', `Booking reference: ${pnr}`, `Order: ${event.order_id}`, '', 'Altis'];
    const flights = ['', 'Flights:', ...segments];
    // Every mail ends with the booking's footer.
    const mail = (subject: string, lines: string[]) => ({ subject, text: [...lines, ...footer].join('\n') });
    switch (event.type) {
      case 'OrderFulfilled': {
        const payload = event.payload as FulfilledPayload;
        const pax = await tx
          .select({ id: travelers.id, firstName: travelers.firstName, lastName: travelers.lastName })
          .from(travelers)
          .where(eq(travelers.orderId, event.order_id))
          .orderBy(asc(travelers.position));
        const names = new Map(pax.map((t) => [t.id, `${pii.decrypt(t.firstName)} ${pii.decrypt(t.lastName)}`]));
        const tickets = (payload.tickets ?? []).map((t) => `  ${t.number}  ${names.get(t.traveler_id) ?? 'passenger'}`);
        const emds = payload.emds ?? [];
        return mail(`Your booking ${pnr} is confirmed`, [
          'Your booking is confirmed and your e-tickets are issued.',
          ...flights,
          '',
          'E-tickets:',
          ...tickets,
          ...(emds.length > 0 ? ['', 'Extras (EMD):', ...emds.map((n) => `  ${n}`)] : []),
          '',
          `Total paid: ${formatMoney({ amount: order.totalAmount, currency: order.currency })}`,
        ]);
      }
      case 'OrderExpired':
        return mail(`Your reservation ${pnr} has expired`, [
          'Your reservation was not paid in time, so its seats have been released.',
          'Search again for current prices and availability.',
          ...flights,
        ]);
      case 'OrderCancelled': {
        const refund = moneyIn(event.payload, 'refund_amount');
        const penalty = moneyIn(event.payload, 'penalty_amount');
        const money =
          refund && (event.payload as { after_sale?: unknown }).after_sale === true
            ? [
                '',
                `Refund to your original form of payment: ${formatMoney(refund)}`,
                ...(penalty && penalty.amount > 0
                  ? [`Kept under your fare's conditions: ${formatMoney(penalty)}`]
                  : []),
              ]
            : [];
        return mail(`Your booking ${pnr} is cancelled`, [
          'Your booking has been cancelled and its seats released.',
          ...money,
          ...flights,
        ]);
      }
      case 'OrderDisrupted': {
        // An airline-initiated change (services/disruptions.ts): what changed, what the customer may do, by when.
        const p = event.payload as {
          kind?: string;
          status?: string;
          removed?: { flight_number?: string; departure_at?: string }[];
          added?: { flight_number?: string; origin?: string; destination?: string; departure_at?: string }[];
          available_actions?: string[];
          default_action?: string;
          respond_by?: string | null;
        };
        const was = p.removed?.[0];
        const what =
          p.kind === 'FLIGHT_CANCELLED'
            ? `Flight ${was?.flight_number ?? ''} has been cancelled by the airline.`
            : `Flight ${was?.flight_number ?? ''} has a new schedule (it was to depart ${was?.departure_at ?? '?'}).`;
        const offered = (p.added ?? []).map(
          (s) =>
            `  ${s.flight_number ?? '?'}  ${s.origin ?? '?'} → ${s.destination ?? '?'}  departs ${s.departure_at ?? '?'}`,
        );
        const ask =
          p.status === 'AUTO_ACCEPTED'
            ? ['The change is small: your booking keeps its seats at the new time. Nothing to do.']
            : [
                `You may: ${(p.available_actions ?? []).join(' or ')} (a refund is in full, with no penalty).`,
                `Please answer by ${p.respond_by ?? '?'}; otherwise we will ${p.default_action === 'refund' ? 'refund you in full' : 'keep you on the first option'}.`,
              ];
        return mail(`Important: a change to your booking ${pnr}`, [
          what,
          ...(offered.length > 0
            ? ['', p.kind === 'FLIGHT_CANCELLED' ? 'Seats held for you on:' : 'New schedule:', ...offered]
            : []),
          '',
          ...ask,
          ...flights,
        ]);
      }
      case 'OrderChanged':
      case 'OrderServicesAdded':
      case 'SeatChanged': {
        const servicing = SERVICING_MAILS[event.type]!;
        const amounts = (['total_amount', 'change_total_amount', 'amount', 'price'] as const)
          .map((k) => moneyIn(event.payload, k))
          .find((m) => m !== null);
        return mail(servicing.subject(pnr), [
          servicing.line,
          ...(amounts && amounts.amount !== 0 ? ['', `Amount: ${formatMoney(amounts)}`] : []),
          ...flights,
        ]);
      }
      case 'RefundIssued': {
        const amount = (event.payload as { amount?: Money }).amount;
        return mail(`Refund for booking ${pnr}`, [
          `A refund of ${amount ? formatMoney(amount) : 'your payment'} has been issued to your original form of payment.`,
        ]);
      }
      case 'LatePaymentRefunded': {
        const amount = (event.payload as { amount?: Money }).amount;
        return mail(`Your late payment for ${pnr} has been refunded`, [
          'Your payment was confirmed by your bank only after this booking could no longer take it (the',
          'reservation had expired, been cancelled or been paid another way), so no ticket was issued for it.',
          `The full amount, ${amount ? formatMoney(amount) : 'your payment'}, has been refunded to your original form of payment.`,
        ]);
      }
      default:
        return null;
    }
  }

  return {
    name,
    types: NOTIFIED_EVENTS,
    async handle(event, tx) {
      const order = await orderOfEvent(tx, event);
      const email = order.contact ? (JSON.parse(pii.decrypt(order.contact)) as { email?: string }).email : undefined;
      if (!email) {
        logger.info({ event_id: event.id, order_id: event.order_id, type: event.type }, 'no contact e-mail: not sent');
        return;
      }
      const mail = await compose(event, tx, order);
      if (!mail) return;
      await mailer.sendMail({
        from: config.smtp.from,
        to: email,
        subject: mail.subject,
        text: mail.text,
        messageId: `<${event.id}@events.altis>`,
        headers: { 'X-Altis-Event-Id': event.id, 'X-Altis-Event-Type': event.type, 'X-Altis-Order-Id': event.order_id },
      });
      logger.info(
        { event_id: event.id, order_id: event.order_id, type: event.type, recipient: maskEmail(email) },
        'mail sent',
      );
    },
  };
}
