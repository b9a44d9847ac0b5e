import type { LoginAnswer, Role } from './types';

/** Who is logged in. The token lives in sessionStorage (gone with the tab), never in a URL or localStorage. */
export interface Session {
  readonly token: string;
  readonly userId: string;
  readonly username: string;
  readonly role: Role;
  /** Epoch milliseconds when the token was issued and when it expires. */
  readonly issuedAtMs: number;
  readonly expiresAtMs: number;
}

const SESSION_KEY = 'couponkill.session';
const POSITION_KEY = 'couponkill.position';

type Listener = (session: Session | null) => void;

/**
 * The session and the newest position this tab wrote at: every read of the buyer's own data passes it as
 * `minPosition`, so a page never shows less than the buyer has just done (read-your-writes, README "Read API").
 */
export class SessionStore {
  private session: Session | null;
  private position: bigint;
  private readonly listeners = new Set<Listener>();

  constructor(private readonly storage: Storage) {
    this.session = parse(storage.getItem(SESSION_KEY));
    const stored = storage.getItem(POSITION_KEY) ?? '';
    this.position = /^\d+$/.test(stored) ? BigInt(stored) : 0n;
  }

  current(): Session | null {
    return this.session !== null && this.session.expiresAtMs > Date.now() ? this.session : null;
  }

  start(username: string, answer: LoginAnswer): Session {
    const now = Date.now();
    const session: Session = {
      token: answer.token,
      userId: answer.userId,
      username,
      role: answer.role,
      issuedAtMs: now,
      expiresAtMs: now + answer.expiresIn * 1000,
    };
    this.set(session);
    return session;
  }

  end(): void {
    this.position = 0n;
    this.storage.removeItem(POSITION_KEY);
    this.set(null);
  }

  /** Records a write's position; only ever moves forward. */
  wrote(position: string): void {
    if (!/^\d+$/.test(position) || BigInt(position) <= this.position) return;
    this.position = BigInt(position);
    this.storage.setItem(POSITION_KEY, position);
  }

  /** The position reads of the buyer's own data wait for, or null before any write. */
  minPosition(): string | null {
    return this.position === 0n ? null : this.position.toString();
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private set(session: Session | null): void {
    this.session = session;
    if (session === null) this.storage.removeItem(SESSION_KEY);
    else this.storage.setItem(SESSION_KEY, JSON.stringify(session));
    for (const listener of this.listeners) listener(session);
  }
}

const parse = (text: string | null): Session | null => {
  if (text === null) return null;
  try {
    const value = JSON.parse(text) as Partial<Session>;
    return typeof value.token === 'string' && typeof value.expiresAtMs === 'number'
      ? (value as Session)
      : null;
  } catch {
    return null;
  }
};
