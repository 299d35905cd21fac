/**
 * The sandbox's memory: charges, refunds, webhook events and idempotency records. Kept in Maps and, when a
 * state file is given, written after each change as one JSON document (tmp file + rename, so a crash mid-write
 * leaves the previous version whole) and read back at start, so a restarted sandbox still knows its charges.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ChargeStatus, Refund } from '../services/payment-gateway';

export type { ChargeStatus };

/** How the sandbox plays a test token out after answering. */
export type Simulation =
  { kind: 'none' } | { kind: 'async'; outcome: 'succeeded' | 'failed'; settlesAtMs: number } | { kind: 'no_answer' };

export interface ChargeRecord {
  id: string;
  status: ChargeStatus;
  amount: number;
  currency: string;
  orderId: string;
  description: string | null;
  metadata: Record<string, string>;
  paymentToken: string;
  declineCode: string | null;
  amountRefunded: number;
  created: number;
  simulation: Simulation;
}

/** A refund as the provider API answers it: the shape the gateway client (services/payment-gateway.ts) reads. */
export type RefundRecord = Refund;

export interface EventRecord {
  id: string;
  type: 'charge.succeeded' | 'charge.failed';
  created: number;
  chargeId: string;
  /** The exact payload delivered, fixed when the event is created so every retry sends the same document. */
  payload: unknown;
  delivery: { delivered: boolean; attempts: number; lastStatus: number | null; lastError: string | null };
}

/** A stored answer. `status: null` means the request was never answered (tok_timeout): a replay hangs too. */
export interface IdempotencyRecord {
  key: string;
  fingerprint: string;
  status: number | null;
  body: unknown;
  created: number;
}

interface StateDocument {
  version: 1;
  charges: ChargeRecord[];
  refunds: RefundRecord[];
  events: EventRecord[];
  idempotency: IdempotencyRecord[];
}

export class SandboxStore {
  readonly charges = new Map<string, ChargeRecord>();
  readonly refunds = new Map<string, RefundRecord>();
  readonly events = new Map<string, EventRecord>();
  readonly idempotency = new Map<string, IdempotencyRecord>();

  private writing: Promise<void> = Promise.resolve();
  private queued: Promise<void> | null = null;

  constructor(private readonly stateFile: string | null) {
    if (stateFile !== null) this.load(stateFile);
  }

  private load(file: string): void {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    const doc = JSON.parse(text) as StateDocument;
    if (doc.version !== 1) throw new Error(`${file}: unsupported sandbox state version ${String(doc.version)}`);
    for (const c of doc.charges) this.charges.set(c.id, c);
    for (const r of doc.refunds) this.refunds.set(r.id, r);
    for (const e of doc.events) this.events.set(e.id, e);
    for (const i of doc.idempotency) this.idempotency.set(i.key, i);
  }

  /**
   * Resolves once the state as it is now (or later) is on disk. Writes run one at a time; calls made while a
   * write is waiting share it, since it will serialize the state when it starts.
   */
  persist(): Promise<void> {
    const file = this.stateFile;
    if (file === null) return Promise.resolve();
    if (this.queued) return this.queued;
    const next = this.writing.then(() => {
      this.queued = null;
      return this.writeNow(file);
    });
    this.queued = next;
    this.writing = next.catch(() => undefined);
    return next;
  }

  /** Waits for any write in flight (used at shutdown). */
  flushed(): Promise<void> {
    return this.writing;
  }

  private async writeNow(file: string): Promise<void> {
    const doc: StateDocument = {
      version: 1,
      charges: [...this.charges.values()],
      refunds: [...this.refunds.values()],
      events: [...this.events.values()],
      idempotency: [...this.idempotency.values()],
    };
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(JSON.stringify(doc), 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  }
}
