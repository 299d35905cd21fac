/** The web app's types of the API's answers (from the typed client) and the little the areas share. */
import type { AltisClient } from '../../api/client';
import type { OkBody } from './api';

type V1 = AltisClient['v1'];
export type SearchAnswer = OkBody<Awaited<ReturnType<V1['offers']['search']['$post']>>>;
export type Offer = SearchAnswer['offers'][number];
export type Order = OkBody<Awaited<ReturnType<V1['orders'][':id']['$get']>>>;
export type Fulfillment = OkBody<Awaited<ReturnType<V1['orders'][':id']['fulfillment']['$get']>>>;
export type SeatMap = OkBody<Awaited<ReturnType<V1['flights'][':id']['seats']['$get']>>>;
export type Seat = SeatMap['seats'][number];
type ChangeRequest = OkBody<Awaited<ReturnType<V1['orders'][':id']['change-requests']['$post']>>>;
export type ChangeOffer = ChangeRequest['change_offers'][number];

export const PTC_NAMES = { ADT: 'Adult', CHD: 'Child', INF: 'Infant' } as const;

/** The payments sandbox's test cards (README, "Payment test tokens"): what the pages offer to pay with. */
export const TEST_CARDS = [
  { token: 'tok_visa', label: 'Test card that pays' },
  { token: 'tok_chargeDeclined', label: 'Test card that is declined' },
  { token: 'tok_async', label: 'Test card that pays after a bank check (pending)' },
  { token: 'tok_asyncDecline', label: 'Test card that is declined after a bank check (pending)' },
] as const;
