/**
 * Turns the data of one stored event type from `fromVersion` into `fromVersion + 1`. Stored events are never
 * rewritten (the log is immutable); old versions are upcast each time they are read.
 */
export interface Upcaster {
  readonly type: string;
  readonly fromVersion: number;
  upcast(data: Readonly<Record<string, unknown>>): Record<string, unknown>;
}

/** An event as it is stored, before decoding: a type, the schema version it was written with, and its data. */
export interface StoredEventShape {
  readonly type: string;
  readonly schemaVersion: number;
  readonly data: unknown;
}

/** A stored event this version of the code cannot decode: an unknown type, or a version newer than it knows. */
export class UndecodableEventError extends Error {
  constructor(
    readonly type: string,
    readonly schemaVersion: number,
    reason: string,
  ) {
    super(`cannot decode ${type} v${schemaVersion}: ${reason}`);
    this.name = 'UndecodableEventError';
  }
}
