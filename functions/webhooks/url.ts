/** Logs name the host, never the path or query (which may carry a merchant's token). */
export function urlForLogs(raw: string): string {
  try {
    return new URL(raw).origin;
  } catch {
    return '[invalid url]';
  }
}
