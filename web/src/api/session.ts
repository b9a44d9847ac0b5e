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
 * `minPosition`, so a page never shows less than the buyer has just done (read-your-writes, README "Read API"). A
 * session ends at its token's expiry (listeners are told), at logout, and when the API refuses its token.
 */
export class SessionStore {
  private session: Session | null;
  private position: bigint;
  private expiryTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly listeners = new Set<Listener>();
  /** Whether the last session ended by itself (expired or refused) rather than by logging out. */
  endedUnasked = false;

  constructor(private readonly storage: Storage) {
    this.session = parse(storage.getItem(SESSION_KEY));
    const stored = storage.getItem(POSITION_KEY) ?? '';
    this.position = /^\d+$/.test(stored) ? BigInt(stored) : 0n;
    this.watchExpiry();
  }

  /** The live session, or null (none, or its token has expired: then it ends now). */
  current(): Session | null {
    if (this.session !== null && this.session.expiresAtMs <= Date.now()) this.end(true);
    return this.session;
  }

  /** Starts (or renews) the session from a login or refresh answer. */
  start(username: string, answer: LoginAnswer): Session {
    const now = Date.now();
    this.endedUnasked = false;
    this.set({
      token: answer.token,
      userId: answer.userId,
      username,
      role: answer.role,
      issuedAtMs: now,
      expiresAtMs: now + answer.expiresIn * 1000,
    });
    return this.session as Session;
  }

  /** Ends the session; `unasked`: it expired or the API refused its token (the login page says so). */
  end(unasked = false): void {
    if (this.session === null) return;
    this.endedUnasked = unasked;
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

  /** Calls `listener` on every change of session; answers the function that stops it. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private set(session: Session | null): void {
    this.session = session;
    if (session === null) this.storage.removeItem(SESSION_KEY);
    else this.storage.setItem(SESSION_KEY, JSON.stringify(session));
    this.watchExpiry();
    for (const listener of this.listeners) listener(session);
  }

  private watchExpiry(): void {
    clearTimeout(this.expiryTimer);
    if (this.session === null) return;
    const left = this.session.expiresAtMs - Date.now();
    this.expiryTimer = setTimeout(() => this.current(), Math.min(Math.max(left, 0), 2 ** 31 - 1));
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
