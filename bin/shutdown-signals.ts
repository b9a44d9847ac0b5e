/**
 * Runs `stop` on the first SIGTERM or SIGINT, then exits 0 (1 if stopping failed). A second signal exits at once with
 * 128 + the signal's number (the shell's convention), so an operator can still end a drain that hangs.
 */
export function onShutdownSignals(stop: () => Promise<void>): void {
  const first = (signal: NodeJS.Signals): void => {
    const again = (): void => process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
    process.once('SIGTERM', again).once('SIGINT', again);
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`shutdown failed: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', first).once('SIGINT', first);
}
