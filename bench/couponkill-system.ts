import { join } from 'node:path';
import { JwtTokens } from '../infra/auth/jwt-tokens';
import { PORTS, type BenchEnv } from './bench-env';
import { BenchProcess } from './bench-process';
import { CLI } from './paths';

/** Each role's ops listener (/readyz, /metrics, lag): the public ports serve only the APIs. */
const ROLES = [
  { name: 'write-api', opsPort: PORTS.writeApiOps },
  { name: 'relay', opsPort: PORTS.relayOps },
  { name: 'projector', opsPort: PORTS.projectorOps },
  { name: 'read-api', opsPort: PORTS.readApiOps },
] as const;

export interface CouponSpec {
  readonly name: string;
  readonly totalStock: number;
  readonly perUserLimit: number;
}

/** CouponKill as the README runs it: each role its own process of the built CLI, on this run's databases. */
export class CouponKillSystem {
  private readonly processes = new Map<string, BenchProcess>();
  private readonly admin: string;

  constructor(
    private readonly env: BenchEnv,
    private readonly logDir: string,
  ) {
    this.admin = new JwtTokens({
      secret: env.jwtSecret,
      issuer: 'couponkill',
      audience: 'couponkill',
      ttlSeconds: 3600,
      clockSkewSeconds: 30,
    }).issue({ userId: 'bench-admin', role: 'admin' }).token;
  }

  readonly writeApiUrl = `http://127.0.0.1:${PORTS.writeApi}`;
  readonly readApiUrl = `http://127.0.0.1:${PORTS.readApi}`;
  /** The read-api's ops listener: the lag it serves there is computed fresh for every call. */
  readonly readApiOpsUrl = `http://127.0.0.1:${PORTS.readApiOps}`;

  /** The write-api first: it creates the event store the other roles open. */
  async start(): Promise<void> {
    const [writeApi, ...readSide] = ROLES;
    await this.startRole(writeApi);
    await Promise.all(readSide.map((role) => this.startRole(role)));
  }

  async createCoupon(spec: CouponSpec): Promise<string> {
    const response = await fetch(`${this.writeApiUrl}/api/v1/coupons`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        ...spec,
        faceValueCents: 1000,
        saleStartsAt: new Date(Date.now() - 60_000).toISOString(),
        saleEndsAt: new Date(Date.now() + 86_400_000).toISOString(),
      }),
    });
    const body = (await response.json()) as { couponId?: string };
    if (response.status !== 201 || !body.couponId)
      throw new Error(`coupon not created: ${response.status} ${JSON.stringify(body)}`);
    return body.couponId;
  }

  /** CPU seconds used so far, per role. */
  cpuSources(): Record<string, () => number> {
    return Object.fromEntries([...this.processes].map(([name, p]) => [name, () => p.cpuSeconds()]));
  }

  peakRss(): Record<string, number> {
    return Object.fromEntries([...this.processes].map(([name, p]) => [name, p.peakRssBytes()]));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.processes.values()].map((p) => p.stop()));
  }

  private async startRole(role: (typeof ROLES)[number]): Promise<void> {
    const child = BenchProcess.start(
      role.name,
      [CLI, '--no-dotenv', role.name],
      { ...this.env.cliEnv('live'), COUPONKILL_OPS_PORT: String(role.opsPort) },
      join(this.logDir, `${role.name}.log`),
    );
    this.processes.set(role.name, child);
    await child.waitHealthy(`http://127.0.0.1:${role.opsPort}/readyz`);
  }
}
