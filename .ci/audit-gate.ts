// Reads `npm audit --json` on stdin and decides the CI audit gate (issue 15):
//   the advisory service answered, no high or critical advisory -> "ci: audit passed", exit 0
//   it answered with a high or critical advisory               -> the list, "ci: audit FAILED", exit 1
//   it did not answer (offline, DNS, 5xx, no JSON)              -> "ci: audit not reachable: …", exit 0
// "Not reachable" is never reported as a pass: the line says no advisory check was made.
interface AuditReport {
  error?: { code?: string; summary?: string };
  statusCode?: number;
  message?: string;
  metadata?: { vulnerabilities?: Partial<Record<'critical' | 'high' | 'moderate' | 'low' | 'info', number>> };
  vulnerabilities?: Record<string, { severity: string; range?: string }>;
}

export function auditGate(text: string): { code: 0 | 1; lines: string[] } {
  let report: AuditReport;
  try {
    report = JSON.parse(text) as AuditReport;
  } catch {
    return {
      code: 0,
      lines: ['ci: audit not reachable: npm audit printed no report; no advisory check was made'],
    };
  }
  if (report?.error) {
    const { code, summary } = report.error;
    const reason =
      [code, summary, report.statusCode && `HTTP ${report.statusCode}`, report.message]
        .filter(Boolean)
        .map((part) => String(part).split('\n')[0])[0] ?? 'no reason given';
    return { code: 0, lines: [`ci: audit not reachable (${reason}); no advisory check was made`] };
  }
  const counts = report?.metadata?.vulnerabilities;
  if (!counts) {
    return {
      code: 0,
      lines: ['ci: audit not reachable: the report has no vulnerability counts; no advisory check was made'],
    };
  }
  const serious = Object.entries(report.vulnerabilities ?? {}).filter(([, v]) =>
    ['high', 'critical'].includes(v.severity),
  );
  const summary = `critical ${counts.critical ?? 0}, high ${counts.high ?? 0}, moderate ${counts.moderate ?? 0}, low ${counts.low ?? 0}`;
  if ((counts.critical ?? 0) + (counts.high ?? 0) > 0) {
    return {
      code: 1,
      lines: [
        ...serious.map(([name, v]) => `  ${v.severity} ${name} ${v.range ?? ''}`.trimEnd()),
        `ci: audit FAILED: production dependencies have high or critical advisories (${summary})`,
      ],
    };
  }
  return { code: 0, lines: [`ci: audit passed (production dependencies: ${summary})`] };
}

if (import.meta.main) {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const { code, lines } = auditGate(Buffer.concat(chunks).toString('utf8'));
  for (const line of lines) console.log(line);
  process.exit(code);
}
