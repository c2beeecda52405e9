// /api/v1/discovery: scans, imports, discovered certificates and findings, in one encapsulated
// scope so that the raw PEM and DER body parsers of imports apply to these routes only.

import type { Api, ApiDeps } from '../types.ts';
import { discoveryFindingRoutes } from './discovery-findings.ts';
import { discoveryRunRoutes } from './discovery-runs.ts';

export function discoveryRoutes(app: Api, deps: ApiDeps): void {
  void app.register(async (scope) => {
    discoveryRunRoutes(scope as Api, deps);
    discoveryFindingRoutes(scope as Api, deps);
  });
}
