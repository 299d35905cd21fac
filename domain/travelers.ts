import { bcbpName } from './bcbp';
import { DomainError } from './errors';
import type { OfferPassengers } from './offer';
import type { PassengerType } from './pricing';

export const GENDERS = ['M', 'F', 'X'] as const;
export type Gender = (typeof GENDERS)[number];

export interface TravelerInput {
  ptc: PassengerType;
  first_name: string;
  last_name: string;
  date_of_birth?: string | null; // YYYY-MM-DD
  gender?: Gender | null;
}

export interface TravelerIssue {
  path: string;
  message: string;
}

// Letters of any Latin script, spaces, hyphens and apostrophes: what a ticket and a boarding pass can carry.
const TICKETABLE = /^[\p{Script=Latin}][\p{Script=Latin}' -]*$/u;
const MAX_NAME = 35;

function ageOn(dateOfBirth: Date, on: Date): number {
  let age = on.getUTCFullYear() - dateOfBirth.getUTCFullYear();
  const m = on.getUTCMonth() - dateOfBirth.getUTCMonth();
  if (m < 0 || (m === 0 && on.getUTCDate() < dateOfBirth.getUTCDate())) age--;
  return age;
}

const AGE_RANGE: Record<PassengerType, [number, number]> = { ADT: [12, 130], CHD: [2, 11], INF: [0, 1] };

/**
 * Checks a party against the offer it accepts: the same number of adults, children and infants; at most
 * `maxTravelers`; no more infants than adults (an infant flies on an adult's lap); names a ticket can carry;
 * ages that fit the passenger type on the day of the first departure. Throws VALIDATION_FAILED listing every issue.
 */
export function validateTravelers(
  travelers: TravelerInput[],
  expected: OfferPassengers,
  firstDeparture: Date,
  maxTravelers: number,
): void {
  const issues: TravelerIssue[] = [];
  const count = (ptc: PassengerType) => travelers.filter((t) => t.ptc === ptc).length;
  if (travelers.length > maxTravelers) {
    issues.push({ path: 'travelers', message: `at most ${maxTravelers} travelers per order` });
  }
  if (count('INF') > count('ADT')) {
    issues.push({ path: 'travelers', message: 'every infant must travel with an adult (one infant per adult)' });
  }
  const want: Record<PassengerType, number> = { ADT: expected.adults, CHD: expected.children, INF: expected.infants };
  for (const ptc of ['ADT', 'CHD', 'INF'] as const) {
    if (count(ptc) !== want[ptc]) {
      issues.push({ path: 'travelers', message: `the offer is priced for ${want[ptc]} ${ptc}, got ${count(ptc)}` });
    }
  }
  travelers.forEach((t, i) => issues.push(...travelerIssues(t, i, firstDeparture)));
  if (issues.length > 0) throw new DomainError('VALIDATION_FAILED', 'the travelers do not fit the offer', { issues });
}

/** What is wrong with one traveler: names a ticket can carry, an age that fits the passenger type. */
export function travelerIssues(t: TravelerInput, i: number, firstDeparture: Date): TravelerIssue[] {
  const issues: TravelerIssue[] = [];
  for (const field of ['first_name', 'last_name'] as const) {
    const value = t[field].trim();
    if (value.length === 0 || value.length > MAX_NAME || !TICKETABLE.test(value)) {
      issues.push({
        path: `travelers.${i}.${field}`,
        message: `must be 1–${MAX_NAME} Latin letters, spaces, hyphens or apostrophes`,
      });
    }
  }
  if (issues.length === 0) {
    try {
      bcbpName({ last: t.last_name, first: t.first_name });
    } catch {
      issues.push({ path: `travelers.${i}.last_name`, message: 'cannot be printed on a boarding pass' });
    }
  }
  if (t.date_of_birth) {
    const dob = new Date(`${t.date_of_birth}T00:00:00Z`);
    if (Number.isNaN(dob.getTime()) || dob > firstDeparture) {
      issues.push({ path: `travelers.${i}.date_of_birth`, message: 'must be a past date (YYYY-MM-DD)' });
    } else {
      const age = ageOn(dob, firstDeparture);
      const [min, max] = AGE_RANGE[t.ptc];
      if (age < min || age > max) {
        issues.push({
          path: `travelers.${i}.date_of_birth`,
          message: `a ${t.ptc} is ${min}–${max} years old at departure; this traveler is ${age}`,
        });
      }
    }
  } else if (t.ptc !== 'ADT') {
    issues.push({ path: `travelers.${i}.date_of_birth`, message: `is required for a ${t.ptc}` });
  }
  return issues;
}

/** Throws VALIDATION_FAILED when any traveler has an issue. */
export function assertTravelers(travelers: TravelerInput[], firstDeparture: Date, pathPrefix = 'travelers'): void {
  const issues = travelers
    .flatMap((t, i) => travelerIssues(t, i, firstDeparture))
    .map((x) => ({ ...x, path: x.path.replace(/^travelers/, pathPrefix) }));
  if (issues.length > 0) throw new DomainError('VALIDATION_FAILED', 'the travelers are not valid', { issues });
}

/** Passenger references in offer order: ADT1, ADT2, CHD1, INF1 … matched to travelers of the same type in order. */
export function assignRefs<T extends { ptc: PassengerType }>(travelers: T[]): (T & { ref: string })[] {
  const seen: Record<PassengerType, number> = { ADT: 0, CHD: 0, INF: 0 };
  return travelers.map((t) => ({ ...t, ref: `${t.ptc}${++seen[t.ptc]}` }));
}
