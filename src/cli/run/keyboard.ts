/**
 * Single key presses on a terminal, for `stampede run`'s steering keys. Raw mode takes Ctrl-C from the
 * terminal's signal handling, so it is turned back into the SIGINT the run already handles. Returns the
 * undo; nothing happens (and nothing needs undoing) when stdin is not a terminal.
 */
export function watchKeys(onKey: (key: string) => void, input: NodeJS.ReadStream = process.stdin): () => void {
  if (!input.isTTY) return () => undefined;
  const onData = (chunk: string) => {
    for (const key of chunk) {
      if (key === '\u0003') process.kill(process.pid, 'SIGINT');
      else onKey(key);
    }
  };
  input.setRawMode(true);
  input.setEncoding('utf8');
  input.on('data', onData).resume();
  return () => {
    input.off('data', onData);
    input.setRawMode(false);
    input.pause();
  };
}
