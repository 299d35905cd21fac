import { describe, expect, it } from 'vitest';
import { DomainError } from '../../domain/errors';
import { assignRefs, validateTravelers, type TravelerInput } from '../../domain/travelers';

const departure = new Date('2026-12-20T10:00:00Z');
const adult = (first = 'Jane', last = 'Doe'): TravelerInput => ({ ptc: 'ADT', first_name: first, last_name: last });
const child: TravelerInput = { ptc: 'CHD', first_name: 'Tim', last_name: 'Doe', date_of_birth: '2018-05-01' };
const infant: TravelerInput = { ptc: 'INF', first_name: 'Mia', last_name: 'Doe', date_of_birth: '2026-01-10' };

function issues(fn: () => void): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe('VALIDATION_FAILED');
    return ((err as DomainError).details as { issues: { path: string; message: string }[] }).issues.map(
      (i) => `${i.path}: ${i.message}`,
    );
  }
  return [];
}

describe('validateTravelers', () => {
  it('accepts a family that matches the offer', () => {
    expect(
      issues(() => validateTravelers([adult(), child, infant], { adults: 1, children: 1, infants: 1 }, departure, 9)),
    ).toEqual([]);
  });

  it('rejects an infant without an adult', () => {
    const found = issues(() =>
      validateTravelers([child, infant], { adults: 0, children: 1, infants: 1 }, departure, 9),
    );
    expect(found).toContain('travelers: every infant must travel with an adult (one infant per adult)');
  });

  it('rejects more than nine travelers', () => {
    const ten = Array.from({ length: 10 }, () => adult());
    expect(issues(() => validateTravelers(ten, { adults: 10, children: 0, infants: 0 }, departure, 9))).toContain(
      'travelers: at most 9 travelers per order',
    );
  });

  it('rejects a party that differs from the priced offer', () => {
    expect(
      issues(() => validateTravelers([adult(), adult()], { adults: 1, children: 0, infants: 0 }, departure, 9)),
    ).toContain('travelers: the offer is priced for 1 ADT, got 2');
  });

  it.each([['J0hn'], [''], ['李'], ['X'.repeat(36)], ['Robert); DROP TABLE orders;--'], ['😀']])(
    'rejects the untickettable name %j',
    (name) => {
      const found = issues(() =>
        validateTravelers([adult(name)], { adults: 1, children: 0, infants: 0 }, departure, 9),
      );
      expect(found.some((f) => f.startsWith('travelers.0.first_name'))).toBe(true);
    },
  );

  it('accepts accented, hyphenated and apostrophe names', () => {
    expect(
      issues(() =>
        validateTravelers([adult('Zoë', "Núñez-O'Brien")], { adults: 1, children: 0, infants: 0 }, departure, 9),
      ),
    ).toEqual([]);
  });

  it('checks ages against the passenger type at the first departure', () => {
    const oldChild = { ...child, date_of_birth: '2010-01-01' };
    expect(
      issues(() => validateTravelers([adult(), oldChild], { adults: 1, children: 1, infants: 0 }, departure, 9)),
    ).toContain('travelers.1.date_of_birth: a CHD is 2–11 years old at departure; this traveler is 16');
    const noDob = { ...infant, date_of_birth: null };
    expect(
      issues(() => validateTravelers([adult(), noDob], { adults: 1, children: 0, infants: 1 }, departure, 9)),
    ).toContain('travelers.1.date_of_birth: is required for a INF');
  });
});

describe('assignRefs', () => {
  it('numbers travelers per passenger type in order', () => {
    expect(assignRefs([adult(), child, adult(), infant]).map((t) => t.ref)).toEqual(['ADT1', 'CHD1', 'ADT2', 'INF1']);
  });
});
