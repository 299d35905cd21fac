/**
 * Every guide of README.md ("### The guides"), run as written: each `bash` block goes to `bash` unchanged against
 * the real processes (API, worker, payment sandbox), with `API` pointing at them and `PATH` holding only the tools
 * the README says a reader needs (curl, jq) and what a fresh Debian or macOS machine has. A command outside that
 * list (uuidgen, say) fails the guide with "command not found" instead of silently sending an empty header.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBcbp } from '../../domain/bcbp';
import { startProcessStack, type ProcessStack } from '../support/processes';

/** What a reader has: curl and jq (installed as the README says) and tools of every Debian and macOS machine. */
const READER_TOOLS = ['curl', 'jq', 'date', 'od', 'tr', 'cat', 'head', 'sed', 'grep', 'sleep'];

interface Guide {
  title: string;
  script: string;
}

/** The `bash` blocks under "### The guides", one per "#### " heading. */
function readmeGuides(markdown: string): Guide[] {
  const section = markdown.split(/^### The guides$/m)[1]?.split(/^### /m)[0];
  if (!section) throw new Error('README.md has no "### The guides" section');
  return section
    .split(/^#### /m)
    .slice(1)
    .map((part) => {
      const title = part.split('\n')[0]!.trim();
      const block = /```bash\n([\s\S]*?)```/.exec(part);
      if (!block) throw new Error(`guide "${title}" has no bash block`);
      return { title, script: block[1]! };
    });
}

let stack: ProcessStack;
let bin: string;

beforeAll(async () => {
  stack = await startProcessStack('guides', { APP_SERVER__SSE_HEARTBEAT_MS: '500' });
  bin = mkdtempSync(join(tmpdir(), 'altis-reader-bin-'));
  for (const tool of READER_TOOLS) {
    const path = ['/usr/bin', '/bin', '/usr/local/bin'].map((d) => `${d}/${tool}`).find((p) => existsSync(p));
    if (!path) throw new Error(`${tool} is not installed on this machine`);
    symlinkSync(path, join(bin, tool));
  }
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  if (bin) rmSync(bin, { recursive: true, force: true });
});

function runGuide(script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/bash', ['-s'], {
      env: { PATH: bin, HOME: tmpdir(), API: stack.apiUrl, LANG: 'C.UTF-8' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(script);
  });
}

/** The lines of output that are JSON objects (what the guides print with `jq -c`). */
const jsonLines = (out: string) =>
  out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, any>);

const guides = readmeGuides(readFileSync(new URL('../../README.md', import.meta.url), 'utf8'));

describe('the README guides, run as written', () => {
  it('finds the offer/order guide and the trip-hold guide, each using only curl, jq and base tools', () => {
    expect(guides.map((g) => g.title)).toEqual([
      'The offer/order guide',
      'The trip-hold guide (the Altis README, as written)',
      'Change a flight (voluntary change of a paid order)',
      'Cancel a paid order',
      'Add a bag after booking',
      'Change a seat after booking',
      'Check in and get the boarding pass',
      'Manage a booking without an account',
    ]);
    for (const g of guides) {
      expect(g.script).not.toMatch(/\buuidgen\b|date -d|date --date|<[a-z ]+>/);
      expect(g.script).toMatch(/^API=\$\{API:-http:\/\/localhost:8080\}$/m);
    }
  });

  it('the offer/order guide: search → accept → PROPOSED → pay → FULFILLED with tickets and boarding passes', async () => {
    const { code, stdout, stderr } = await runGuide(guides[0]!.script);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = jsonLines(stdout);
    const offers = lines.filter((l) => typeof l.bundle === 'string');
    expect(offers.length).toBeGreaterThanOrEqual(3);
    expect(offers[0]!.total.currency).toBe('USD');
    expect(lines.find((l) => l.status === 'PROPOSED')).toMatchObject({ id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const paid = lines.find((l) => l.status === 'FULFILLED');
    expect(paid).toBeDefined();
    const documents = lines.find((l) => Array.isArray(l.tickets))!;
    expect(documents.tickets).toHaveLength(2); // the adult and the child, one flight
    for (const t of documents.tickets as string[]) expect(t).toMatch(/^\d{13}$/);
    expect(documents.boarding_passes).toHaveLength(2);
    expect(documents.boarding_passes[0]).toMatch(/^M1DOE\/(JANE|TIM)/);
  });

  it('the trip-hold guide: search → trip → passenger → a free seat → commit → CONFIRMED, the seat OCCUPIED, the stream', async () => {
    const { code, stdout, stderr } = await runGuide(guides[1]!.script);
    expect(stderr).toBe('');
    expect(code).toBe(28); // the last command: the live stream, ended by curl --max-time
    const lines = jsonLines(stdout);
    expect(lines.some((l) => typeof l.flight_number === 'string')).toBe(true);
    const hold = lines.find((l) => 'trip_id' in l && 'expires_at' in l)!;
    expect(hold.trip_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(lines.find((l) => 'passenger_id' in l)).toBeDefined();
    expect(lines.filter((l) => 'error' in l)).toEqual([]);
    expect(Math.floor(Date.parse(hold.expires_at) / 1000)).toBe(hold.expires_at_unix); // ISO 8601, and the seed's epoch alias
    expect(lines.find((l) => 'passenger_id' in l)).toMatchObject({ passenger_type: 'ADT', passenger_ref: 'ADT1' });
    const booking = lines.find((l) => 'order_status' in l && 'tickets' in l)!;
    expect(booking).toMatchObject({ id: hold.trip_id, status: 'CONFIRMED', order_status: 'FULFILLED' });
    expect(booking.tickets).toHaveLength(1);
    expect(booking.tickets[0]).toMatch(/^\d{13}$/);
    expect(booking.boarding_passes[0]).toMatch(/^M1DOE\/JANE/);
    const seat = lines.filter((l) => 'seat_number' in l && 'status' in l);
    expect(seat.map((l) => l.status)).toEqual(['HELD', 'OCCUPIED']); // the hold's answer, then the seat map's
    expect(stdout).toMatch(/^:/m); // a heartbeat comment from the stream
  });

  it('the change guide: a paid order → change offers → confirm → the new flight, the old ticket EXCHANGED', async () => {
    const guide = guides.find((g) => g.title.startsWith('Change a flight'))!;
    const { code, stdout, stderr } = await runGuide(guide.script);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = jsonLines(stdout);
    expect(lines.filter((l) => 'error' in l)).toEqual([]);
    expect(lines[0]).toMatchObject({ status: 'FULFILLED', conditions: { allowed: true } });
    const offers = lines.filter((l) => 'fare_difference' in l);
    expect(offers.length).toBeGreaterThanOrEqual(1);
    const first = offers[0]!;
    expect(first.change_total_amount.amount).toBe(first.fare_difference.amount + first.penalty_amount.amount);
    const changed = lines.find((l) => Array.isArray(l.changes))!;
    expect(changed.status).toBe('FULFILLED');
    expect(changed.changes).toHaveLength(1);
    expect(changed.changes[0].change_total_amount).toEqual(first.change_total_amount);
    const [exchange] = changed.changes[0].exchanged_tickets as { from: string; to: string }[];
    const docs = lines.find((l) => Array.isArray(l.tickets))!;
    expect(docs.tickets).toEqual(
      expect.arrayContaining([
        { number: exchange!.from, status: 'EXCHANGED', exchanged_for: exchange!.to },
        { number: exchange!.to, status: 'OPEN', exchanged_for: null },
      ]),
    );
    expect(docs.boarding_passes).toHaveLength(1);
  });

  it('cancel a paid order: pay → quote (Comfort: 100.00 penalty) → confirm → CANCELLED, its documents given back', async () => {
    const { code, stdout, stderr } = await runGuide(guides.find((g) => g.title === 'Cancel a paid order')!.script);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = jsonLines(stdout);
    expect(lines.filter((l) => 'error' in l)).toEqual([]);
    const offer = lines.find((l) => 'refund' in l)!;
    expect(offer.refund).toMatchObject({ allowed: true, penalty_amount: 10_000 });
    expect(lines.find((l) => l.status === 'FULFILLED')).toBeDefined();
    const quote = lines.find((l) => l.refund_to === 'original_payment')!;
    expect(quote.penalty_amount.amount).toBe(10_000);
    expect(quote.refund_amount.amount + quote.penalty_amount.amount).toBe(offer.total.amount);
    const breakdown = lines.filter((l) => 'document_type' in l);
    expect(breakdown.some((l) => l.document_type === 'TKT')).toBe(true);
    expect(breakdown.reduce((n, l) => n + (l.refundable_amount.amount as number), 0)).toBe(quote.refund_amount.amount);
    expect(lines.find((l) => l.status === 'CONFIRMED')).toMatchObject({
      id: quote.id,
      refund_amount: quote.refund_amount,
    });
    expect(lines.find((l) => l.status === 'CANCELLED')).toBeDefined();
    const docs = lines.find((l) => Array.isArray(l.tickets))!;
    // Each document by its line of the quote: something refunded → REFUNDED, nothing → VOIDED (on this
    // short route the 100.00 penalty can take a whole fare, then the rest from the traveler's EMDs).
    const refundable = new Map(breakdown.map((l) => [l.document_number, l.refundable_amount.amount as number]));
    expect(docs.tickets.length).toBeGreaterThan(0);
    for (const d of [...docs.tickets, ...docs.emds]) {
      expect(d.status).toBe(refundable.get(d.number)! > 0 ? 'REFUNDED' : 'VOIDED');
    }
  });

  it('check in: a flight with check-in open → paid → checked in with a document → a seated pass, its barcode PNG', async () => {
    const guide = guides.find((g) => g.title === 'Check in and get the boarding pass')!;
    const { code, stdout, stderr } = await runGuide(guide.script);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = jsonLines(stdout);
    expect(lines.filter((l) => 'error' in l)).toEqual([]);
    expect(lines[0]!.flight_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(lines.find((l) => l.status === 'FULFILLED')).toBeDefined();
    const checkedIn = lines.find((l) => 'international' in l)!;
    expect(checkedIn).toMatchObject({ international: true, pass: { status: 'CHECKED_IN' } });
    expect(checkedIn.pass.seat_number).toMatch(/^\d+[A-K]$/);
    const bcbp = decodeBcbp(checkedIn.pass.bcbp);
    expect(bcbp.passengerName).toBe('DOE/JANE');
    expect(bcbp.legs[0]).toMatchObject({
      seat: checkedIn.pass.seat_number,
      checkInSequence: String(checkedIn.pass.check_in_sequence),
    });
    const barcode = lines.find((l) => 'barcode' in l)!.barcode;
    expect(barcode).toMatchObject({ http_status: 200, content_type: 'image/png' });
    expect(barcode.bytes).toBeGreaterThan(500);
    expect(lines.find((l) => 'coupons' in l)!.coupons).toEqual([
      { coupon_status: 'CHECKED_IN', check_in_sequence: checkedIn.pass.check_in_sequence },
    ]);
  });

  it('add a bag after booking: listed with its limit, charged once on an EMD-A (C/0CC), removed, refunded, voided', async () => {
    const { code, stdout, stderr } = await runGuide(guides.find((g) => g.title === 'Add a bag after booking')!.script);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = jsonLines(stdout);
    expect(lines.filter((l) => 'error' in l)).toEqual([]);
    expect(lines.find((l) => l.status === 'FULFILLED')).toBeDefined();
    expect(lines.find((l) => l.id === 'BAG_23KG')).toMatchObject({
      traveler_ref: 'ADT1',
      max_quantity: 2,
      rfic: 'C',
      rfisc: '0CC',
      refund_rule: { kind: 'UNTIL_DEPARTURE', hours_before: 24 },
    });
    const added = lines.find((l) => 'charged' in l)!;
    expect(added.charged.amount).toBeGreaterThan(0);
    expect(added.services).toEqual([
      { id: 'BAG_23KG', emd: { number: expect.stringMatching(/^\d{13}$/), type: 'EMD-A', rfic: 'C', rfisc: '0CC' } },
    ]);
    const number = added.services[0].emd.number as string;
    expect(lines.find((l) => 'refund' in l)).toEqual({ emd: number, refund: added.charged });
    expect(lines.filter((l) => l.number === number).map((l) => l.status)).toEqual(['OPEN', 'VOIDED']);
  });

  it('change a seat after booking: charged on an EMD-A, a change covered by it, the old seat freed, coupon and pass reissued', async () => {
    const { code, stdout, stderr } = await runGuide(
      guides.find((g) => g.title === 'Change a seat after booking')!.script,
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = jsonLines(stdout);
    expect(lines.filter((l) => 'error' in l)).toEqual([]);
    const paid = lines.find((l) => l.status === 'FULFILLED')!;
    const [charged, covered] = lines.filter((l) => 'total' in l && !('status' in l));
    expect(charged!.seats).toHaveLength(1);
    expect(charged!.total.amount).toBe(paid.total.amount + charged!.seats[0].price.amount);
    expect(covered!.total).toEqual(charged!.total);
    const map = JSON.parse(stdout.split('\n').find((l) => l.startsWith('[{'))!) as Record<string, string>[];
    const docs = lines.at(-1)!;
    const [seat, next] = [charged!.seats[0].seat_number as string, docs.coupons[0].seat_number as string];
    expect(seat).not.toBe(next);
    expect(Object.fromEntries(map.map((m) => [m.seat_number, m.status]))).toEqual({
      [seat]: 'AVAILABLE',
      [next]: 'OCCUPIED',
    });
    expect(decodeBcbp(docs.bcbp as string).legs[0]!.seat).toBe(next);
    expect(docs.emds).toEqual([{ type: 'EMD-A', rfic: 'A', rfisc: '0B5' }]);
  });

  it('the manage-booking guide: reference + last name → a token for that order only; a wrong name is a plain 404', async () => {
    const guide = guides.find((g) => g.title === 'Manage a booking without an account')!;
    const { code, stdout, stderr } = await runGuide(guide.script);
    expect(stderr, stdout).toBe('');
    expect(code).toBe(0);
    const [paid, found, order, forbidden, wrong] = jsonLines(stdout);
    expect(paid!.status).toBe('FULFILLED');
    expect(found).toMatchObject({ booking_reference: paid!.booking_reference, token_type: 'Bearer' });
    expect(found!.booking_reference).toMatch(/^[A-Z2-9]{6}$/);
    expect(Date.parse(found!.expires_at)).toBeGreaterThan(Date.now());
    expect(order).toEqual({
      status: 'FULFILLED',
      booking_reference: found!.booking_reference,
      travelers: ['de Vries'],
    });
    expect(forbidden).toEqual({ code: 'FORBIDDEN' });
    expect(wrong).toEqual({ code: 'NOT_FOUND', message: 'no booking has this reference and last name' });
  });
});
