import type { FareConditions } from './commercial';
import type { Money } from './money';
import type { PassengerType } from './pricing';

/**
 * An offer: a priced, time-limited proposal (15 minutes) stored in Redis. Accepting it within its life turns
 * it into an order at exactly this price. This type is the contract between the offer engine and the order
 * workflow.
 */
/** What an offer or order item sells (table `products`, enum `product_type`). */
export const PRODUCT_TYPES = [
  'Flight',
  'Seat',
  'Bag',
  'Meal',
  'Lounge',
  'CarbonOffset',
  'Insurance',
  'FastTrack',
] as const;
export type ProductType = (typeof PRODUCT_TYPES)[number];

export type OfferStatus = 'ACTIVE' | 'ACCEPTED' | 'CANCELLED';

export interface OfferSegment {
  flight_id: string;
  carrier: string;
  flight_number: string;
  origin: string;
  destination: string;
  departure_at: string; // ISO 8601 UTC
  arrival_at: string;
  cabin: string; // ECONOMY | PREMIUM_ECONOMY | BUSINESS | FIRST
  direction: 'OUTBOUND' | 'INBOUND';
}

export interface OfferPassengers {
  adults: number;
  children: number;
  infants: number;
}

/** One priced thing in the offer: the flight for one passenger on one segment, or one ancillary. */
export interface OfferItem {
  id: string;
  product_type: ProductType;
  product_code: string;
  flight_id: string | null; // null for per-order products (insurance)
  passenger_ref: string; // "ADT1", "CHD1", "INF1": matched to travelers at acceptance, in order
  ptc: PassengerType;
  price: Money; // total for this item, taxes included
}

/** What the ranker needs to learn from an offer's outcome (activities/ranker-store.ts). */
export interface OfferRanking {
  /** The bandit's context: route, party-size bucket, days-to-departure bucket. */
  context: string;
  /** Evidence this offer carries: 1/k for a search that showed k itineraries. */
  weight: number;
  /** The Thompson score the bundle drew for this search. */
  score: number;
}

export interface Offer {
  id: string;
  status: OfferStatus;
  created_at: string;
  expires_at: string;
  bundle: { code: string; name: string };
  rank: number;
  search: {
    origin: string;
    destination: string;
    departure_date: string;
    return_date: string | null;
    cabin: string;
    passengers: OfferPassengers;
  };
  segments: OfferSegment[];
  items: OfferItem[];
  price: {
    currency: string;
    total: Money;
    /** Per passenger type: fare breakdown per segment and the ancillaries. */
    breakdown: unknown;
  };
  /** The fare family's conditions (the bundle's), kept by the order it becomes. Absent on offers stored before them. */
  conditions?: FareConditions;
  /** The search that produced the offer (its sibling offers share it). Absent on offers built by hand. */
  search_id?: string;
  /** The customer of the bearer token the search carried, if any. */
  customer_id?: string | null;
  ranking?: OfferRanking;
}

/** Seats needed on each segment: infants travel on a lap. */
export const seatsNeeded = (p: OfferPassengers) => p.adults + p.children;
