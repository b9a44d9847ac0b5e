import { isServerUnavailableReply } from './redis-errors';

/** What ioredis rejects with for an error reply (its ReplyError, from redis-errors, is untyped). */
const reply = (message: string): Error => Object.assign(new Error(message), { name: 'ReplyError' });

describe('isServerUnavailableReply', () => {
  it.each([
    "OOM command not allowed when used memory > 'maxmemory'.",
    "READONLY You can't write against a read only replica.",
    'LOADING Redis is loading the dataset in memory',
    'BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.',
    'MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to no.',
    'MISCONF Redis is configured to save RDB snapshots, but it is currently not able to persist on disk.',
    'CLUSTERDOWN The cluster is down',
  ])('counts "%s" as the server being unavailable', (message) => {
    expect(isServerUnavailableReply(reply(message))).toBe(true);
  });

  it('leaves other replies (a bug in what was sent) and other errors alone', () => {
    expect(isServerUnavailableReply(reply('ERR Error running script: attempt to compare nil'))).toBe(false);
    expect(isServerUnavailableReply(reply('WRONGTYPE Operation against a key holding the wrong kind'))).toBe(
      false,
    );
    expect(isServerUnavailableReply(new Error('OOM but not a reply'))).toBe(false);
  });
});
