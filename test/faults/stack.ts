/**
 * The fault matrix's own stack: the infrastructure that `scripts/faults.sh` started with `scripts/infra.sh` on ports
 * and a data directory of its own (never the shared services), and the real Altis processes (API, worker,
 * consumers, payment sandbox) as child processes wired to it by APP_* / SANDBOX_* env vars. Faults are injected
 * here: a signal to a process, or `infra.sh stop|start <service>` with the same environment.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdirSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';

export const ROOT = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');

export type AppName = 'sandbox' | 'api' | 'worker' | 'consumers';
export type InfraService = 'postgres' | 'redis' | 'temporal' | 'kafka';

export interface StackPorts {
  pg: number;
  redis: number;
  temporal: number;
  kafka: number;
  api: number;
  sandbox: number;
  smtp: number;
}

const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

/** The ports faults.sh chose (its defaults when the suite is run by hand against a stack it started). */
export function stackPorts(smtp: number): StackPorts {
  return {
    pg: num('ALTIS_PG_PORT', 15432),
    redis: num('ALTIS_REDIS_PORT', 16379),
    temporal: num('ALTIS_TEMPORAL_PORT', 17233),
    kafka: num('ALTIS_KAFKA_PORT', 19092),
    api: num('ALTIS_FAULTS_API_PORT', 18080),
    sandbox: num('ALTIS_FAULTS_SANDBOX_PORT', 18090),
    smtp,
  };
}

export const dataDir = () => process.env.ALTIS_DATA_DIR ?? `${ROOT}/.data/faults`;

/** Short timers so that every order of a round reaches a terminal state or its own timer within the round. */
export const FAULT_TIMINGS = {
  holdSeconds: 20,
  tripHoldSeconds: 20,
  paymentTimeoutSeconds: 8,
  gatewayTimeoutMs: 3000,
  asyncDelayMs: 1500,
};

/** The environment every Altis process of the stack gets (config/default.toml keys, overridden). */
export function appEnv(p: StackPorts): Record<string, string> {
  return {
    APP_ENV: 'test',
    APP_LOG__LEVEL: 'info',
    APP_LOG__PRETTY: 'false',
    APP_SERVER__HOST: '127.0.0.1',
    APP_SERVER__PORT: String(p.api),
    APP_DATABASE__URL: `postgres://altis:altis@127.0.0.1:${p.pg}/altis`,
    APP_REDIS__URL: `redis://127.0.0.1:${p.redis}/0`,
    APP_KAFKA__BROKERS: JSON.stringify([`127.0.0.1:${p.kafka}`]),
    APP_TEMPORAL__ADDRESS: `127.0.0.1:${p.temporal}`,
    APP_PAYMENTS__GATEWAY_URL: `http://127.0.0.1:${p.sandbox}`,
    APP_PAYMENTS__GATEWAY_TIMEOUT_MS: String(FAULT_TIMINGS.gatewayTimeoutMs),
    APP_SMTP__PORT: String(p.smtp),
    APP_ORDERS__HOLD_SECONDS: String(FAULT_TIMINGS.holdSeconds),
    APP_ORDERS__TRIP_HOLD_SECONDS: String(FAULT_TIMINGS.tripHoldSeconds),
    APP_ORDERS__PAYMENT_TIMEOUT_SECONDS: String(FAULT_TIMINGS.paymentTimeoutSeconds),
    APP_RATE_LIMIT__PER_IP_PER_MINUTE: '1000000',
    APP_RATE_LIMIT__PER_CUSTOMER_PER_MINUTE: '1000000',
    APP_RATE_LIMIT__GUESTS_PER_IP_PER_HOUR: '1000000',
    APP_HOLDS__MAX_OPEN_PER_IP: '1000000',
    APP_HOLDS__MAX_SEATS_PER_IP: '1000000',
    APP_HOLDS__MAX_OPEN_PER_CUSTOMER: '1000000',
    APP_HOLDS__MAX_SEATS_PER_CUSTOMER: '1000000',
    // No metrics ports: the shared worker of other checkouts may hold the defaults.
    APP_METRICS__WORKER_PORT: '0',
    APP_METRICS__TEMPORAL_PORT: '0',
    APP_OUTBOX__RETRY_MAX_MS: '2000',
    SANDBOX_HOST: '127.0.0.1',
    SANDBOX_PORT: String(p.sandbox),
    SANDBOX_WEBHOOK_URL: `http://127.0.0.1:${p.api}/v1/webhooks/payments`,
    SANDBOX_ASYNC_DELAY_MS: String(FAULT_TIMINGS.asyncDelayMs),
    // A provider keeps its charges across its own outages.
    SANDBOX_STATE_FILE: `${dataDir()}/sandbox-state.json`,
  };
}

const ENTRY: Record<AppName, { file: string; ready: string }> = {
  sandbox: { file: 'payments-sandbox/main.ts', ready: 'payments sandbox listening' },
  api: { file: 'api/main.ts', ready: 'Altis API listening' },
  worker: { file: 'worker/main.ts', ready: 'Altis worker polling' },
  consumers: { file: 'consumers/main.ts', ready: 'Altis consumers running' },
};

/** A process that exited without being told to (what a supervisor such as Kubernetes would restart). */
export interface Crash {
  name: AppName;
  at: number;
  exit: string;
  /** The last lines it wrote: the error that took it down. */
  output: string;
}

/**
 * One Altis process: started, killed and restarted by the matrix; its output goes to <data>/logs/app-<name>.log and
 * its pid to <data>/app-<name>.pid (scripts/faults.sh stops what is left). An exit nobody asked for is recorded
 * in `crashes` and, like a supervisor would, the process is started again.
 */
export class AppProcess {
  child: ChildProcess | null = null;
  starts = 0;
  private log: WriteStream;
  private tail = '';
  private closing = false;

  constructor(
    readonly name: AppName,
    private readonly env: Record<string, string>,
    private readonly crashes: Crash[],
  ) {
    mkdirSync(`${dataDir()}/logs`, { recursive: true });
    this.log = createWriteStream(`${dataDir()}/logs/app-${name}.log`, { flags: 'a' });
  }

  private get pidFile() {
    return `${dataDir()}/app-${this.name}.pid`;
  }

  /** Starts the process and resolves once it logged that it is ready (bounded: rejects after `timeoutMs`). */
  async start(timeoutMs = 120_000): Promise<void> {
    const { file, ready } = ENTRY[this.name];
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('APP_')));
    // One node process (no npx/tsx wrapper), so a signal reaches the process that does the work.
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: ROOT,
      env: { ...base, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.child = child;
    this.starts++;
    this.tail = '';
    writeFileSync(this.pidFile, String(child.pid));
    this.log.write(`\n===== start #${this.starts} pid ${child.pid} at ${new Date().toISOString()}\n`);
    const keep = (chunk: Buffer) => (this.tail = (this.tail + chunk.toString()).slice(-3000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.stdout.pipe(this.log, { end: false });
    child.stderr.pipe(this.log, { end: false });
    child.once('exit', (code, signal) => {
      if (this.child !== child) return; // told to stop
      this.child = null;
      this.crashes.push({ name: this.name, at: Date.now(), exit: String(code ?? signal), output: this.tail });
      this.log.write(`\n===== crashed (${code ?? signal}) at ${new Date().toISOString()}: restarting\n`);
      if (!this.closing) {
        setTimeout(() => {
          this.start().catch((err: unknown) =>
            this.crashes.push({ name: this.name, at: Date.now(), exit: 'restart failed', output: String(err) }),
          );
        }, 1000);
      }
    });
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(() => reject(new Error(`${this.name} not ready within ${timeoutMs} ms`)), timeoutMs);
      const onData = (chunk: Buffer) => {
        seen = (seen + chunk.toString()).slice(-4096);
        if (seen.includes(ready)) {
          clearTimeout(timer);
          child.stdout.off('data', onData);
          resolve();
        }
      };
      child.stdout.on('data', onData);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited before it was ready (${code ?? signal}); see its log`));
      });
    });
  }

  get pid(): number {
    if (!this.child?.pid) throw new Error(`${this.name} is not running`);
    return this.child.pid;
  }

  signal(sig: NodeJS.Signals): void {
    process.kill(this.pid, sig);
  }

  /** Ends the process with `sig` (SIGKILL after `graceMs`) and waits for its exit; not a crash. */
  private async end(sig: NodeJS.Signals, graceMs: number): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.child = null;
    const exited = once(child, 'exit');
    process.kill(child.pid!, 'SIGCONT'); // a stopped process must run to act on the signal
    process.kill(child.pid!, sig);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
    rmSync(this.pidFile, { force: true });
  }

  /** SIGKILL: the fault. */
  kill(): Promise<void> {
    return this.end('SIGKILL', 0);
  }

  /** SIGTERM (graceful shutdown), SIGKILL after `graceMs`; no restart. */
  async stop(graceMs = 15_000): Promise<void> {
    this.closing = true;
    await this.end('SIGTERM', graceMs);
    this.log.end();
  }
}

/**
 * `scripts/infra.sh <cmd> <service>` with the suite's environment (its data directory and ports). Asynchronous,
 * so the traffic in this process keeps running while a service comes back.
 */
export async function infra(cmd: 'start' | 'stop', service: InfraService): Promise<void> {
  const child = spawn('bash', [`${ROOT}/scripts/infra.sh`, cmd, service], {
    cwd: ROOT,
    env: process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`infra.sh ${cmd} ${service} failed (${code}): ${out}`);
}
