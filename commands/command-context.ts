import type { EventMetadata } from '../domain/shared/event';
import type { EventToAppend } from './event-store-port';
import type { DomainEvent } from '../domain/shared/event';

/** Who acts and under which request; copied into every event's metadata. */
export interface CommandContext {
  readonly actorId: string;
  readonly correlationId: string;
  readonly causationId: string;
}

export const systemContext = (correlationId: string): CommandContext => ({
  actorId: 'system',
  correlationId,
  causationId: correlationId,
});

export const withMetadata = (
  events: readonly DomainEvent[],
  context: CommandContext,
  occurredAt: Date,
  newId: () => string,
): EventToAppend[] =>
  events.map((event) => {
    const metadata: EventMetadata = {
      eventId: newId(),
      correlationId: context.correlationId,
      causationId: context.causationId,
      userId: context.actorId,
      occurredAt: occurredAt.toISOString(),
    };
    return { type: event.type, schemaVersion: event.schemaVersion, data: event.data, metadata };
  });
