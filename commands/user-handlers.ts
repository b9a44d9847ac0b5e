import { DomainError, invalid } from '../domain/shared/domain-error';
import { PASSWORD_RULE, validPassword } from '../domain/user/password';
import {
  userDecider,
  type ChangePassword,
  type DisableUser,
  type EnableUser,
  type RegisteredUser,
  type RegisterUser,
  type UserCommand,
  type UserState,
} from '../domain/user/user-decider';
import { userStreamId, type Role, type UserEvent } from '../domain/user/user-events';
import { USERNAME_RULE, validUsername } from '../domain/user/username';
import { AggregateHandler } from './aggregate-handler';
import type { Clock } from './clock-port';
import type { CommandContext } from './command-context';
import type { EventStore } from './event-store-port';
import type { IdGenerator } from './id-generator-port';
import type { PasswordHasher } from './password-hasher-port';
import { userEventsOf } from './stored-events';

export interface Identity {
  readonly userId: string;
  readonly username: string;
  readonly role: Role;
  /** When the account was registered, epoch ms: tokens carry it so the stock gate can check a coupon's account age. */
  readonly registeredAtMs: number;
  /** How many times the password was changed: tokens carry it, and a renewal refuses one from before a change. */
  readonly passwordVersion: number;
}

/** What a bearer token says of its user (infra/auth/jwt-tokens.ts, Principal): enough to find and check the account. */
export interface Session {
  readonly userId: string;
  readonly username?: string;
  readonly passwordVersion?: number;
}

/** An account as an administrator's command left it. */
export interface UserAccount {
  readonly userId: string;
  readonly username: string;
  readonly role: Role;
  readonly disabled: boolean;
}

const identityOf = (state: RegisteredUser): Identity => ({
  userId: state.userId,
  username: state.username,
  role: state.role,
  registeredAtMs: Date.parse(state.registeredAt),
  passwordVersion: state.passwordVersion,
});

const accountOf = (state: UserState): UserAccount => {
  if (state.status !== 'registered') throw new Error('the command left no user');
  const { userId, username, role, disabled } = state;
  return { userId, username, role, disabled };
};

export class InvalidCredentialsError extends Error {
  constructor() {
    super('unknown username or wrong password');
    this.name = 'InvalidCredentialsError';
  }
}

/**
 * A token whose session is over although its signature and lifetime are fine: the password was changed after its
 * login, its account is not the one it names, or it predates tokens carrying the username. Its holder logs in again
 * (the HTTP edge answers 401 UNAUTHENTICATED).
 */
export class SessionEndedError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'SessionEndedError';
  }
}

export interface UserHandlerOptions {
  /**
   * The configured administrator's username (COUPONKILL_ADMIN_USERNAME), which is never disabled: the operator's way
   * in whatever the other administrators do.
   */
  readonly configuredAdmin?: string;
}

/**
 * Registration, credential checks, password changes and administrators' disabling and enabling of accounts. A
 * username's stream is created with "no stream expected": first one wins.
 */
export class UserHandlers {
  private readonly handler: AggregateHandler<UserCommand, UserEvent, UserState>;
  private readonly configuredAdmin: string | null;

  constructor(
    store: EventStore,
    private readonly hasher: PasswordHasher,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    options: UserHandlerOptions = {},
  ) {
    this.handler = new AggregateHandler(store, { decider: userDecider, decode: userEventsOf }, clock, ids);
    this.configuredAdmin =
      options.configuredAdmin === undefined ? null : validUsername(options.configuredAdmin);
  }

  /** Throws DomainError VALIDATION_FAILED (username or password rule) or USERNAME_TAKEN. */
  async register(username: string, password: string, role: Role, context: CommandContext): Promise<Identity> {
    requireValidUsername(username);
    requireValidPassword('password', password);
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

  /**
   * Registers the user unless the username exists already; for bootstrapping an administrator. An existing account
   * is left as it is: the configured password seeds the account once, and a password changed since stays.
   */
  async ensure(username: string, password: string, role: Role, context: CommandContext): Promise<Identity> {
    requireValidUsername(username);
    const existing = await this.handler.load(userStreamId(username));
    if (existing.state.status === 'registered') return identityOf(existing.state);
    return this.register(username, password, role, context);
  }

  /**
   * Throws DomainError VALIDATION_FAILED for a name that breaks the username rule, InvalidCredentialsError for an
   * unknown name or a wrong password, and DomainError ACCOUNT_DISABLED for the right password of a disabled account
   * (only once the password is proven, so that the answer tells nobody else whether an account exists or is
   * disabled).
   */
  async authenticate(username: string, password: string): Promise<Identity> {
    const { state } = await this.handler.load(userStreamId(requireValidUsername(username)));
    const ok = await this.hasher.verify(
      password,
      state.status === 'registered' ? state.passwordHash : DECOY_HASH,
    );
    if (state.status !== 'registered' || !ok) throw new InvalidCredentialsError();
    if (state.disabled) throw accountDisabled(state);
    return identityOf(state);
  }

  /**
   * The account of a token, read again from its stream (a renewal, a password change and an administrator's command
   * do this; the seckill path does not): its identity while the account is enabled and its password unchanged since
   * the token's login. Throws SessionEndedError when the token carries no username, names an account that is not
   * its user's, or predates a password change; DomainError ACCOUNT_DISABLED when the account is disabled.
   */
  async session(session: Session): Promise<Identity> {
    return identityOf(await this.activeAccount(session));
  }

  /**
   * Sets a new password for the token's user, who proves the old one: the old one is verified (the password hasher
   * port) against the hash read, the new one hashed, then the change decided. Throws what `session` throws,
   * DomainError VALIDATION_FAILED naming `newPassword`, InvalidCredentialsError for a wrong old password, DomainError
   * INVALID_CREDENTIALS when another change won the race. Returns the identity with its new password version: tokens
   * from before no longer renew.
   */
  async changePassword(
    session: Session,
    oldPassword: string,
    newPassword: string,
    context: CommandContext,
  ): Promise<Identity> {
    requireValidPassword('newPassword', newPassword);
    const account = await this.activeAccount(session);
    if (!(await this.hasher.verify(oldPassword, account.passwordHash))) throw new InvalidCredentialsError();
    const command: ChangePassword = {
      type: 'ChangePassword',
      data: {
        userId: account.userId,
        verifiedHash: account.passwordHash,
        passwordHash: await this.hasher.hash(newPassword),
        now: this.clock.now(),
      },
    };
    const { state } = await this.handler.handle(userStreamId(account.username), command, context);
    if (state.status !== 'registered') throw new Error('the change left no user');
    return identityOf(state);
  }

  /**
   * An administrator (the context's actor) disables the account of `username`. Throws DomainError VALIDATION_FAILED
   * (username or reason), USER_NOT_FOUND, OWN_ACCOUNT, ACCOUNT_PROTECTED (the configured administrator) or
   * USER_ALREADY_DISABLED.
   */
  async disable(username: string, reason: string | undefined, context: CommandContext): Promise<UserAccount> {
    const normalized = requireValidUsername(username);
    const command: DisableUser = {
      type: 'DisableUser',
      data: {
        by: context.actorId,
        ...(reason === undefined ? {} : { reason }),
        configuredAdmin: normalized === this.configuredAdmin,
        now: this.clock.now(),
      },
    };
    return accountOf((await this.handler.handle(userStreamId(normalized), command, context)).state);
  }

  /** An administrator enables the account again. Throws VALIDATION_FAILED, USER_NOT_FOUND, OWN_ACCOUNT or USER_ALREADY_ENABLED. */
  async enable(username: string, context: CommandContext): Promise<UserAccount> {
    const normalized = requireValidUsername(username);
    const command: EnableUser = { type: 'EnableUser', data: { by: context.actorId, now: this.clock.now() } };
    return accountOf((await this.handler.handle(userStreamId(normalized), command, context)).state);
  }

  private async activeAccount(session: Session): Promise<RegisteredUser> {
    const username = session.username === undefined ? null : validUsername(session.username);
    if (username === null)
      throw new SessionEndedError('the token predates tokens naming their user: log in again');
    const { state } = await this.handler.load(userStreamId(username));
    if (state.status !== 'registered' || state.userId !== session.userId)
      throw new SessionEndedError("the token's account does not exist: log in again");
    if (state.disabled) throw accountDisabled(state);
    if ((session.passwordVersion ?? 0) !== state.passwordVersion)
      throw new SessionEndedError('the password was changed after this login: log in again');
    return state;
  }
}

const accountDisabled = (state: RegisteredUser): DomainError =>
  new DomainError('ACCOUNT_DISABLED', `the account ${state.username} is disabled`);

/** The stream of a username is only ever named after a valid one: nothing else reaches the event store. */
const requireValidUsername = (username: string): string => {
  const normalized = validUsername(username);
  if (normalized === null) throw invalid('username', USERNAME_RULE);
  return normalized;
};

/** Checked before anything is hashed; the HTTP edge checks the same first (write-api/contract/user-contract.ts). */
const requireValidPassword = (field: string, password: string): void => {
  if (!validPassword(password)) throw invalid(field, PASSWORD_RULE);
};

/** Verified against when the user does not exist, so unknown names take as long as wrong passwords. */
const DECOY_HASH = 'scrypt$15$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
