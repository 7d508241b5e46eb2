/**
 * The payments capability's face: the CardProcessor port (`processor-port.ts`, re-exported) and the
 * process-wide processor. Only the sandbox adapter exists so far, so it is the default; it reads
 * card numbers through the vault's face. A real acquirer adapter is chosen here, not by callers.
 */
import { detokenize } from '../vault/access.ts';
import type { CardProcessor } from './processor-port.ts';
import { SandboxProcessor } from './sandbox.ts';

export * from './processor-port.ts';

let current: CardProcessor | undefined;
let factory: (() => CardProcessor) | undefined;

/** Replaces how the processor is built (before its first use); the default is the sandbox. */
export function registerCardProcessor(make: () => CardProcessor): void {
  factory = make;
}

/** Replaces the process-wide processor (tests inject crashes, the bench a stub); undefined rebuilds it. */
export function setCardProcessor(next: CardProcessor | undefined): void {
  current = next;
}

/** The process-wide processor, built once: the registered factory's, else the sandbox over the vault. */
export function cardProcessor(): CardProcessor {
  current ??= factory ? factory() : new SandboxProcessor((token, purpose) => detokenize(token, purpose));
  return current;
}
