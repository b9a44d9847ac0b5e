import { userDecider, type RegisterUser, type UserState } from '../domain/user/user-decider';
import { userStreamId, type Role, type UserEvent } from '../domain/user/user-events';
import { AggregateHandler } from './aggregate-handler';
import type { Clock } from './clock-port';
import type { CommandContext } from './command-context';
import type { EventStore } from './event-store-port';
import type { IdGenerator } from './id-generator-port';
import type { PasswordHasher } from './password-hasher-port';
import { userEventsOf } from './stored-events';
import { invalid } from '../domain/shared/domain-error';
import { USERNAME_RULE, validUsername } from '../domain/user/username';

export interface Identity {
  readonly userId: string;
  readonly username: string;
  readonly role: Role;
  /** When the account was registered, epoch ms: tokens carry it so the stock gate can check a coupon's account age. */
  readonly registeredAtMs: number;
}

const identityOf = (state: Extract<UserState, { status: 'registered' }>): Identity => ({
  userId: state.userId,
  username: state.username,
  role: state.role,
  registeredAtMs: Date.parse(state.registeredAt),
});

export class InvalidCredentialsError extends Error {
  constructor() {
    super('unknown username or wrong password');
    this.name = 'InvalidCredentialsError';
  }
}

/** Registration and credential checks. A username's stream is created with "no stream expected": first one wins. */
export class UserHandlers {
  private readonly handler: AggregateHandler<RegisterUser, UserEvent, UserState>;

  constructor(
    store: EventStore,
    private readonly hasher: PasswordHasher,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
  ) {
    this.handler = new AggregateHandler(store, { decider: userDecider, decode: userEventsOf }, clock, ids);
  }

  /** Throws DomainError VALIDATION_FAILED (username rule) or USERNAME_TAKEN. */
  async register(username: string, password: string, role: Role, context: CommandContext): Promise<Identity> {
    requireValidUsername(username);
    // Hash before deciding so that a taken name costs the caller the same time as a free one.
    const passwordHash = await this.hasher.hash(password);
    const command: RegisterUser = {
      type: 'RegisterUser',
      data: { userId: this.ids.newId(), username, passwordHash, role, now: this.clock.now() },
    };
    const { state } = await this.handler.handle(userStreamId(username), command, context);
    if (state.status !== 'registered') throw new Error('registration left no user');
    return identityOf(state);
  }

  /** Registers the user unless the username exists already; for bootstrapping an administrator. */
  async ensure(username: string, password: string, role: Role, context: CommandContext): Promise<Identity> {
    requireValidUsername(username);
    const existing = await this.handler.load(userStreamId(username));
    if (existing.state.status === 'registered') return identityOf(existing.state);
    return this.register(username, password, role, context);
  }

  /** Throws DomainError VALIDATION_FAILED for a name that breaks the username rule, InvalidCredentialsError else. */
  async authenticate(username: string, password: string): Promise<Identity> {
    const { state } = await this.handler.load(userStreamId(requireValidUsername(username)));
    const ok = await this.hasher.verify(
      password,
      state.status === 'registered' ? state.passwordHash : DECOY_HASH,
    );
    if (state.status !== 'registered' || !ok) throw new InvalidCredentialsError();
    return identityOf(state);
  }
}

/** The stream of a username is only ever named after a valid one: nothing else reaches the event store. */
const requireValidUsername = (username: string): string => {
  const normalized = validUsername(username);
  if (normalized === null) throw invalid('username', USERNAME_RULE);
  return normalized;
};

/** Verified against when the user does not exist, so unknown names take as long as wrong passwords. */
const DECOY_HASH = 'scrypt$15$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
