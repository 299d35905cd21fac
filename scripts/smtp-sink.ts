/**
 * A local SMTP sink for development (this machine has no mail server): accepts every mail on smtp.host:port
 * and writes it to .data/mail/<time>-<id>.eml (ALTIS_MAIL_DIR overrides). No TLS, no auth: local use only.
 * Tests start the same server in-process with startSmtpSink().
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerEnvelope } from 'smtp-server';

export interface ReceivedMail {
  envelope: SMTPServerEnvelope;
  raw: Buffer;
}

export interface SmtpSink {
  port: number;
  close(): Promise<void>;
}

/** Starts an SMTP server that hands each received mail to `onMail`. Port 0 picks a free port. */
export async function startSmtpSink(opts: {
  host?: string;
  port: number;
  onMail: (mail: ReceivedMail) => void | Promise<void>;
  /** Answer every mail with this SMTP error instead (tests of a failing mail server). */
  reject?: () => string | null;
}): Promise<SmtpSink> {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    banner: 'Altis SMTP sink',
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const refusal = opts.reject?.();
        if (refusal) return callback(Object.assign(new Error(refusal), { responseCode: 451 }));
        Promise.resolve(opts.onMail({ envelope: session.envelope, raw: Buffer.concat(chunks) })).then(
          () => callback(),
          (err: Error) => callback(err),
        );
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => resolve());
  });
  return {
    port: (server.server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function run() {
  const { loadConfig } = await import('../config');
  const config = loadConfig();
  const dir = process.env.ALTIS_MAIL_DIR ?? new URL('../.data/mail', import.meta.url).pathname;
  mkdirSync(dir, { recursive: true });
  const sink = await startSmtpSink({
    host: config.smtp.host,
    port: config.smtp.port,
    onMail: ({ raw }) => {
      const file = `${dir}/${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}.eml`;
      writeFileSync(file, raw);
      console.log(`mail received (${raw.length} bytes): ${file}`);
    },
  });
  console.log(`SMTP sink on ${config.smtp.host}:${sink.port}, mails in ${dir}`);
  const stop = () => void sink.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
