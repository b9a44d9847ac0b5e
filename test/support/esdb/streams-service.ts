import { randomUUID } from 'node:crypto';
import { status, type ServerWritableStream, type handleUnaryCall } from '@grpc/grpc-js';
import type { IStreamsServer } from '@eventstore/db-client/generated/streams_grpc_pb';
import type { AppendReq, ReadReq, ReadResp } from '@eventstore/db-client/generated/streams_pb';
import type { InMemoryLog, ProposedEvent, StoredRecord } from './in-memory-log';
import {
  selectFromAll,
  selectFromStream,
  subscriptionFilterOf,
  subscriptionStart,
  type SubscriptionFilter,
} from './read-selection';
import {
  appendResponse,
  caughtUpResponse,
  checkpointResponse,
  confirmationResponse,
  eventResponse,
  expectedStateOf,
  proposedEventOf,
  streamNameOf,
  streamNotFoundResponse,
} from './streams-messages';

type ReadCall = ServerWritableStream<ReadReq, ReadResp>;

const unimplemented =
  <Request, Response>(): handleUnaryCall<Request, Response> =>
  (_call, callback) =>
    callback({ code: status.UNIMPLEMENTED, details: 'not implemented by the in-process EventStoreDB' });

const fail = (call: ReadCall, code: status, details: string): void => {
  call.emit('error', { code, details });
};

/**
 * The EventStoreDB Streams service over an in-memory log: Append (plain, not BatchAppend: ServerFeatures is not
 * served, so the client falls back to it), Read of a stream or of $all, and catch-up subscriptions to $all.
 */
export class InProcessStreamsService {
  private readonly subscriptions = new Map<ReadCall, () => void>();

  constructor(private readonly log: InMemoryLog) {}

  get implementation(): IStreamsServer {
    return {
      read: (call) => this.read(call),
      append: (call, callback) => {
        let options: AppendReq.Options | undefined;
        const proposed: ProposedEvent[] = [];
        call.on('data', (request: AppendReq) => {
          const message = request.getProposedMessage();
          if (request.hasOptions()) options = request.getOptions();
          else if (message) proposed.push(proposedEventOf(message));
        });
        call.on('end', () => {
          if (!options) {
            callback({
              code: status.INVALID_ARGUMENT,
              details: 'the first append message must hold the options',
            });
            return;
          }
          const expected = expectedStateOf(options);
          const outcome = this.log.append(streamNameOf(options.getStreamIdentifier()), expected, proposed);
          callback(null, appendResponse(outcome, expected));
        });
      },
      delete: unimplemented(),
      tombstone: unimplemented(),
      batchAppend: (call) => {
        call.emit('error', { code: status.UNIMPLEMENTED, details: 'BatchAppend is not implemented' });
      },
    };
  }

  /** Ends every live subscription with UNAVAILABLE, as a server going away does. */
  dropSubscriptions(): void {
    for (const [call, stop] of this.subscriptions) {
      stop();
      fail(call, status.UNAVAILABLE, 'the in-process EventStoreDB dropped the subscription');
    }
    this.subscriptions.clear();
  }

  private read(call: ReadCall): void {
    const options = call.request.getOptions();
    if (!options) return fail(call, status.INVALID_ARGUMENT, 'read options are required');
    const streamOptions = options.getStream();
    const allOptions = options.getAll();
    if (options.hasSubscription()) {
      if (!allOptions) return fail(call, status.UNIMPLEMENTED, 'only subscriptions to $all are implemented');
      return this.subscribeToAll(call, options, allOptions);
    }
    if (streamOptions) {
      const name = streamNameOf(streamOptions.getStreamIdentifier());
      const stream = this.log.stream(name);
      if (!stream) call.write(streamNotFoundResponse(name));
      else
        for (const record of selectFromStream(stream, streamOptions, options))
          call.write(eventResponse(record));
    } else if (allOptions) {
      for (const record of selectFromAll(this.log.all, allOptions, options))
        call.write(eventResponse(record));
    }
    call.end();
  }

  /**
   * Confirmation, then the records after the start position, then a caught-up message, then live records; all
   * written synchronously with the log's listener, so no record falls between catch-up and live delivery.
   */
  private subscribeToAll(
    call: ReadCall,
    options: ReadReq.Options,
    allOptions: ReadReq.Options.AllOptions,
  ): void {
    const after = subscriptionStart(this.log.all, allOptions);
    const deliver = delivery(call, subscriptionFilterOf(options));
    call.write(confirmationResponse(randomUUID()));
    for (const record of this.log.all) if (record.position > after) deliver(record);
    call.write(caughtUpResponse());
    const stop = this.log.onRecord(deliver);
    this.subscriptions.set(call, stop);
    const forget = (): void => {
      stop();
      this.subscriptions.delete(call);
    };
    call.on('cancelled', forget);
    call.on('error', forget);
    call.on('close', forget);
  }
}

const delivery = (call: ReadCall, filter: SubscriptionFilter | null): ((record: StoredRecord) => void) => {
  let examined = 0;
  return (record) => {
    if (!filter || filter.accepts(record)) call.write(eventResponse(record));
    if (filter && ++examined % filter.checkpointEvery === 0) call.write(checkpointResponse(record.position));
  };
};
