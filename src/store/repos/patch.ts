// Kysely drops undefined values from set(); a patch of nothing but undefined would then
// be "UPDATE t SET WHERE ...", a syntax error, so callers check first.
export function hasChanges(patch: object): boolean {
  return Object.values(patch).some((v) => v !== undefined);
}
