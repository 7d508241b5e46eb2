/** A sink for one-line progress messages of slow local steps (jar fetch, table creation). */
export type OnProgress = (message: string) => void;

/** Progress printed to stderr with a tag, so it never mixes into output that a caller may parse. */
export function consoleProgress(tag: string): OnProgress {
  return (message) => {
    process.stderr.write(`[${tag}] ${message}\n`);
  };
}
