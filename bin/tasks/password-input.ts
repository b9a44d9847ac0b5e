import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { InterruptedError, UsageError } from './cli-errors';

/** Where `create-user` takes the password from when it is not piped in with --password-stdin. */
export const NEW_USER_PASSWORD_VARIABLE = 'COUPONKILL_NEW_USER_PASSWORD';

export const PASSWORD_SOURCES =
  `pipe it in with --password-stdin, set ${NEW_USER_PASSWORD_VARIABLE}, ` +
  'or run on a terminal to be asked';

/** The first line of stdin, without its line ending (`docker login --password-stdin`). */
const firstLineOfStdin = (): Promise<string | undefined> =>
  new Promise((resolve) => {
    const lines = createInterface({ input: process.stdin, terminal: false, crlfDelay: Infinity });
    let first: string | undefined;
    lines.once('line', (line) => {
      first = line;
      lines.close();
    });
    lines.once('close', () => {
      // Nothing more is read: the process may end while whoever pipes in keeps stdin open.
      process.stdin.destroy();
      resolve(first);
    });
  });

/**
 * Asks on the terminal with echo off: node:readline in terminal mode (raw input, line editing, Ctrl-C and Ctrl-D)
 * writing its echo to a stream that drops it; the question and the final newline go to stderr.
 */
const askHidden = (question: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
    const terminal = createInterface({ input: process.stdin, output: silent, terminal: true });
    let answered = false;
    process.stderr.write(question);
    terminal.once('line', (line) => {
      answered = true;
      terminal.close();
      resolve(line);
    });
    terminal.once('SIGINT', () => terminal.close());
    terminal.once('close', () => {
      process.stderr.write('\n');
      if (!answered) reject(new InterruptedError());
    });
  });

/**
 * The new user's password, never from the command line (`ps` and shell history would show it): the first line of
 * stdin with --password-stdin, else COUPONKILL_NEW_USER_PASSWORD, else asked twice on the terminal.
 */
export const readNewPassword = async (username: string, fromStdin: boolean): Promise<string> => {
  if (fromStdin) {
    const line = process.stdin.isTTY ? await askHidden('Password: ') : await firstLineOfStdin();
    if (!line) throw new UsageError('--password-stdin: stdin held no password');
    return line;
  }
  const fromEnvironment = process.env[NEW_USER_PASSWORD_VARIABLE];
  if (fromEnvironment) return fromEnvironment;
  if (!process.stdin.isTTY) throw new UsageError(`create-user needs a password: ${PASSWORD_SOURCES}`);
  const password = await askHidden(`Password for ${username}: `);
  if ((await askHidden('Repeat it: ')) !== password) throw new Error('the passwords do not match');
  return password;
};
