export interface RocketMqBusOptions {
  /** The proxy's gRPC endpoints, `host:port[;host:port]`. */
  readonly endpoints: string;
  /** A FIFO topic (`message.type=FIFO`). */
  readonly topic: string;
  /** A NORMAL topic that receives messages no consumer could handle. */
  readonly deadLetterTopic: string;
  /** Consumer groups are `<groupPrefix>-<group>`, created orderly beforehand (scripts/rocketmq.sh provision). */
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
