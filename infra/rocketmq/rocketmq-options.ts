export interface RocketMqBusOptions {
  /** The proxy's gRPC endpoints, `host:port[;host:port]`. */
  readonly endpoints: string;
  /**
   * Prefix of the FIFO topics (`message.type=FIFO`), one per projection and partition:
   * `<topic>-<projection>-<p>of<P>` (scripts/rocketmq.sh provision-projections makes them).
   */
  readonly topic: string;
  /** Partitions of each projection's stream (COUPONKILL_PROJECTION_PARTITIONS). */
  readonly partitions: number;
  /** A NORMAL topic that receives messages no consumer could handle. */
  readonly deadLetterTopic: string;
  /** Orderly consumer groups `<groupPrefix>-projector-<projection>-<p>of<P>`, one per topic, made beforehand. */
  readonly groupPrefix: string;
  /** How long a received message stays invisible to the group: longer than a batch takes. */
  readonly invisibleMs: number;
  /** Long-polling wait of a receive; the proxy's minimum is 5 s unless configured lower. */
  readonly awaitMs: number;
  /** Deliveries after which a message goes to the dead-letter topic. */
  readonly maxDeliveries: number;
  readonly requestTimeoutMs: number;
  /** Prefixes topics and groups on a shared cluster ('' for none). */
  readonly namespace: string;
  /** ACL credentials (MQv2-HMAC-SHA1), or null on an open cluster. */
  readonly credentials: { readonly accessKey: string; readonly accessSecret: string } | null;
}

/** The settings every client of the bus shares. */
export const clientSettings = (options: RocketMqBusOptions) => ({
  endpoints: options.endpoints,
  namespace: options.namespace,
  requestTimeout: options.requestTimeoutMs,
  ...(options.credentials ? { sessionCredentials: options.credentials } : {}),
});

/** The topic of one partition of a projection's stream. */
export const topicOf = (options: RocketMqBusOptions, projection: string, partition: number): string =>
  `${options.topic}-${projection}-${String(partition)}of${String(options.partitions)}`;

/** The consumer group of one partition: only its owner (by the projector's lease) ever connects to it. */
export const groupOf = (options: RocketMqBusOptions, projection: string, partition: number): string =>
  `${options.groupPrefix}-projector-${projection}-${String(partition)}of${String(options.partitions)}`;
