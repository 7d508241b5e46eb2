/**
 * The payments capability's face: the CardProcessor port (`processor-port.ts`, re-exported) and the
 * process-wide processor. Only the sandbox adapter exists so far, so it is the default; it reads
 * card numbers through the vault's face. A real acquirer adapter is chosen here, not by callers.
 */
import { detokenize, getCard } from '../vault/access.ts';
import type { CardProcessor } from './processor-port.ts';
import { SandboxProcessor } from './sandbox.ts';

export * from './processor-port.ts';

let current: CardProcessor | undefined;
/** Replaces the process-wide processor (tests inject crashes, the bench a stub); undefined rebuilds it. */
export function setCardProcessor(next: CardProcessor | undefined): void {
  current = next;
}

/** The process-wide processor, built once: the sandbox over the vault's detokenize (test mode only). */
export function cardProcessor(): CardProcessor {
  current ??= new SandboxProcessor((token, purpose) => detokenize(token, purpose), undefined, getCard);
  return current;
}
