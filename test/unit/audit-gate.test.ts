import { describe, expect, it } from 'vitest';
import { auditGate } from '../../.ci/audit-gate.ts';

const report = (high: number, critical = 0) =>
  JSON.stringify({
    vulnerabilities:
      high + critical > 0
        ? { 'left-pad': { severity: critical ? 'critical' : 'high', range: '<1.3.1' } }
        : {},
    metadata: {
      vulnerabilities: { info: 0, low: 2, moderate: 1, high, critical, total: 3 + high + critical },
    },
  });

describe('CI audit gate (npm audit --omit=dev --audit-level=high --json)', () => {
  it('fails on a high or critical advisory the service reported', () => {
    for (const [high, critical] of [
      [1, 0],
      [0, 1],
    ] as const) {
      const { code, lines } = auditGate(report(high, critical));
      expect(code).toBe(1);
      expect(lines.join('\n')).toMatch(/left-pad <1\.3\.1/);
      expect(lines.at(-1)).toMatch(/^ci: audit FAILED/);
    }
  });

  it('passes when the service answered with nothing high, and says so', () => {
    expect(auditGate(report(0))).toEqual({
      code: 0,
      lines: ['ci: audit passed (production dependencies: critical 0, high 0, moderate 1, low 2)'],
    });
  });

  it('prints "audit not reachable" when the advisory service did not answer, never "passed"', () => {
    const unreachable = [
      // npm's report when the advisory endpoint refuses (as a registry mirror without audit does)
      JSON.stringify({
        message: '405 Method Not Allowed',
        statusCode: 405,
        error: { summary: '', detail: '' },
      }),
      JSON.stringify({
        error: { code: 'ENOTFOUND', summary: 'request to https://registry.npmjs.org failed' },
      }),
      '',
      'npm error network',
    ];
    for (const text of unreachable) {
      const { code, lines } = auditGate(text);
      expect(code).toBe(0);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^ci: audit not reachable.*no advisory check was made$/);
      expect(lines[0]).not.toMatch(/passed/);
    }
    expect(auditGate(JSON.stringify({ statusCode: 405, error: {} })).lines[0]).toContain('HTTP 405');
  });
});
