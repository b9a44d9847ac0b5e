import type { BusConsumer, BusMessage } from '../../projections/event-bus-port';
import { MergedConsumer } from './merged-consumer';

const message = (partition: number, id: string): BusMessage => ({
  id,
  partition,
  position: 1n,
  previous: 0n,
  event: null,
});

/** A partition consumer whose receives the test answers by hand. */
const scripted = () => {
  const answers: ((messages: BusMessage[]) => void)[] = [];
  const acked: string[] = [];
  let closed = false;
  const consumer: BusConsumer = {
    receive: () => new Promise<BusMessage[]>((resolve) => answers.push(resolve)),
    ack: (messages) => {
      acked.push(...messages.map((m) => m.id));
      return Promise.resolve();
    },
    close: () => {
      closed = true;
      return Promise.resolve();
    },
  };
  return { consumer, answers, acked, closed: () => closed };
};

describe('merged partition consumers', () => {
  it('returns as soon as one partition brings messages, keeping the others’ receives in flight', async () => {
    const [a, b] = [scripted(), scripted()];
    const merged = new MergedConsumer([a.consumer, b.consumer], () => undefined);
    const first = merged.receive(10, 100);
    await Promise.resolve();
    a.answers[0]?.([message(0, 'a1')]);
    expect((await first).map((m) => m.id)).toEqual(['a1']);
    // b's first receive is still the one in flight; a gets a new one.
    const second = merged.receive(10, 100);
    await Promise.resolve();
    expect(b.answers).toHaveLength(1);
    expect(a.answers).toHaveLength(2);
    b.answers[0]?.([message(1, 'b1')]);
    expect((await second).map((m) => m.id)).toEqual(['b1']);
  });

  it('acknowledges each message through the consumer that received it', async () => {
    const [a, b] = [scripted(), scripted()];
    const merged = new MergedConsumer([a.consumer, b.consumer], () => undefined);
    const got = merged.receive(10, 100);
    await Promise.resolve();
    a.answers[0]?.([message(0, 'a1')]);
    b.answers[0]?.([message(1, 'b1')]);
    const messages = await got;
    await merged.ack(messages);
    expect(a.acked).toEqual(['a1']);
    expect(b.acked).toEqual(['b1']);
  });

  it('waits for receives in flight before closing, so what they bring is handed back', async () => {
    const a = scripted();
    let closedCallback = false;
    const merged = new MergedConsumer([a.consumer], () => (closedCallback = true));
    void merged.receive(10, 100);
    await Promise.resolve();
    const closing = merged.close();
    await Promise.resolve();
    expect(a.closed()).toBe(false);
    a.answers[0]?.([message(0, 'late')]);
    await closing;
    expect(a.closed()).toBe(true);
    expect(closedCallback).toBe(true);
  });
});
