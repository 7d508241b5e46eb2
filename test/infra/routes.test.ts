import { describe, expect, it } from 'vitest';
import { routes, routesByCapability } from '../../infra/routes/index.ts';

describe('route table split per capability', () => {
  it('keeps each route in the file of the capability whose folder holds its entry (its nested stack)', () => {
    for (const [capability, capabilityRoutes] of Object.entries(routesByCapability)) {
      expect(capabilityRoutes.length).toBeGreaterThan(0);
      for (const route of capabilityRoutes) {
        expect(route.entry, route.operationId).toMatch(new RegExp(`^functions/${capability}/`));
      }
    }
  });

  it('merges every capability once into the one table, without duplicate operation ids', () => {
    expect(routes).toEqual(Object.values(routesByCapability).flat());
    expect(new Set(routes.map((r) => r.operationId)).size).toBe(routes.length);
  });
});
