/**
 * The first SIGINT or SIGTERM, as a promise, so long waits can race against it. After it fired,
 * the listeners are gone: a second Ctrl-C gets Node's default and ends the process at once.
 */
export type Interrupt = { signaled: Promise<NodeJS.Signals>; dispose(): void };

export function watchInterrupt(): Interrupt {
  let onSignal: (signal: NodeJS.Signals) => void = () => undefined;
  const signaled = new Promise<NodeJS.Signals>((resolve) => {
    onSignal = (signal) => {
      dispose();
      resolve(signal);
    };
  });
  const dispose = () => {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  return { signaled, dispose };
}
