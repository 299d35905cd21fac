/** The booking area's types (from the typed client's answers) and the little it shares between its steps. */
import type { AltisClient } from '../../../../api/client';
import type { OkBody } from '../../api';

type V1 = AltisClient['v1'];
export type SearchAnswer = OkBody<Awaited<ReturnType<V1['offers']['search']['$post']>>>;
export type Offer = SearchAnswer['offers'][number];
export type Order = OkBody<Awaited<ReturnType<V1['orders'][':id']['$get']>>>;
export type Fulfillment = OkBody<Awaited<ReturnType<V1['orders'][':id']['fulfillment']['$get']>>>;
export type SeatMap = OkBody<Awaited<ReturnType<V1['flights'][':id']['seats']['$get']>>>;
export type Seat = SeatMap['seats'][number];

export const PTC_NAMES = { ADT: 'Adult', CHD: 'Child', INF: 'Infant' } as const;
