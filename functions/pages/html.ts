/**
 * Server-side HTML: a tagged template that escapes every interpolated value with html-escaper
 * (`& < > ' "`), so text from the API or the shopper can never become markup. Only `Html` values
 * (built by this template) pass through unescaped; arrays are joined. Attribute values must be quoted.
 */
import { escape as escapeHtml } from 'html-escaper';

export class Html {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
  toString(): string {
    return this.text;
  }
}

export type Part = Html | string | number | boolean | null | undefined | readonly Part[];

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return '';
  if (part instanceof Html) return part.text;
  if (Array.isArray(part)) return part.map(render).join('');
  return escapeHtml(String(part));
}

/** `html\`<p>${name}</p>\`` — `name` is escaped unless it is itself `Html`. */
export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i] as Part) + (strings[i + 1] ?? '');
  return new Html(out);
}
