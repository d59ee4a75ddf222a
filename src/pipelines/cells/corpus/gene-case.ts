/**
 * Restoring the case of mouse gene symbols that a matrix wrote upper-cased (CIDER's Baron
 * pancreas and several GEO tables write `INS1`, `GCG` for mouse `Ins1`, `Gcg`). Mouse symbols
 * are looked up in a list of known mouse symbols (an ortholog table's mouse column, or the
 * mouse genes of an earlier vocabulary): a name that equals exactly one of them ignoring case
 * takes its case. This folds case within one species only; orthology still comes from the
 * table (see vocabulary.ts), never from matching a mouse name to a human one.
 */

export interface MouseCaseRestorer {
  /** The known symbol equal to `name` ignoring case (if exactly one), else `name`. */
  restore(name: string): string;
  /** Distinct names that changed so far, e.g. `INS1` → `Ins1`. */
  readonly restored: ReadonlyMap<string, string>;
}

export function mouseCaseRestorer(known: Iterable<string>): MouseCaseRestorer {
  const exact = new Set<string>();
  // Folded name → the one known symbol with it, or null when two differ only in case.
  const byFolded = new Map<string, string | null>();
  for (const symbol of known) {
    exact.add(symbol);
    const folded = symbol.toUpperCase();
    const other = byFolded.get(folded);
    byFolded.set(folded, other === undefined || other === symbol ? symbol : null);
  }
  const restored = new Map<string, string>();
  return {
    restored,
    restore(name: string): string {
      if (exact.has(name)) return name;
      const symbol = byFolded.get(name.toUpperCase());
      if (!symbol) return name;
      restored.set(name, symbol);
      return symbol;
    },
  };
}
