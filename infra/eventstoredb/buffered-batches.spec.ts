import { PassThrough } from 'node:stream';
import { bufferedBatches } from './buffered-batches';

const source = (): PassThrough => new PassThrough({ objectMode: true });
const ended = (): Error => new Error('ended by the server');

describe('bufferedBatches', () => {
  it('yields what is buffered after the first item, at most maxBatch at a time, in order', async () => {
    const items = source();
    for (let i = 1; i <= 5; i++) items.write(i);
    const batches = bufferedBatches<number>(items, 2, new AbortController().signal, ended);
    const seen: number[][] = [];
    for (let i = 0; i < 3; i++) seen.push((await batches.next()).value as number[]);
    expect(seen).toEqual([[1, 2], [3, 4], [5]]);
    await batches.return(undefined);
  });

  it('waits for the next item when none is buffered', async () => {
    const items = source();
    const batches = bufferedBatches<number>(items, 10, new AbortController().signal, ended);
    const next = batches.next();
    setTimeout(() => items.write(7), 10);
    expect((await next).value).toEqual([7]);
    await batches.return(undefined);
  });

  it('delivers items received before a failure, then throws the failure', async () => {
    const items = source();
    items.write(1);
    const batches = bufferedBatches<number>(items, 10, new AbortController().signal, ended);
    expect((await batches.next()).value).toEqual([1]);
    const next = batches.next();
    items.destroy(new Error('connection lost'));
    await expect(next).rejects.toThrow('connection lost');
  });

  it('throws when the source ends on its own, and ends quietly when the signal aborts', async () => {
    const closing = source();
    const closed = bufferedBatches<number>(closing, 10, new AbortController().signal, ended);
    const next = closed.next();
    closing.end();
    closing.resume();
    await expect(next).rejects.toThrow('ended by the server');

    const abort = new AbortController();
    const aborted = bufferedBatches<number>(source(), 10, abort.signal, ended);
    const pending = aborted.next();
    abort.abort();
    await expect(pending).resolves.toEqual({ value: undefined, done: true });
  });
});
