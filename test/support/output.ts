/**
 * Captures every byte written to stdout and stderr (the logs of the in-process gateway and
 * handlers), for the leak hunts: captured, not passed through, since those flows log at DEBUG.
 */
export function outputCapture(): { lines: string[]; start(): void; release(): void } {
  const lines: string[] = [];
  const original = { out: process.stdout.write, err: process.stderr.write };
  const into = (stream: NodeJS.WriteStream) => {
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      lines.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }) as typeof stream.write;
  };
  return {
    lines,
    start() {
      into(process.stdout);
      into(process.stderr);
    },
    release() {
      process.stdout.write = original.out;
      process.stderr.write = original.err;
    },
  };
}
