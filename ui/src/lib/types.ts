// The JSON the WebAssembly core speaks (see core/src/plan.rs, mapping.rs, inventory.rs).

export type Kind = 'accounts' | 'contacts' | 'events';
export type Behavior = 'upsert' | 'update';
export const KINDS: Kind[] = ['accounts', 'contacts', 'events'];

/** The mapping document of DESIGN §4: the same in the UI, the CLI and the store. */
export interface Mapping {
  version: 1;
  kind: Kind;
  behavior?: Behavior;
  wrapper_path?: string;
  operation_path?: string;
  on_removed?: 'ignore' | 'delete';
  match?: {
    id?: string;
    name?: string;
    email?: string;
    custom?: { path: string; property: string };
  };
  account?: { id?: string; name?: string };
  event?: {
    type?: { path?: string; value?: string };
    account_id?: string;
    contact_id?: string;
    timestamp?: string;
    id?: string;
  };
  properties?: { path?: string; include?: string[]; exclude?: string[] };
}

export interface Field {
  path: string;
  /** `string`, `number`, … or several joined with `|`. */
  type: string;
  example: unknown;
  present: number;
}

export interface Problem {
  code: string;
  detail: string;
  status?: number;
  /** The mapping field a mapping error concerns, e.g. `match.email`. */
  field?: string;
  /** For JSON syntax errors: 1-based. */
  line?: number;
  column?: number;
}

export interface Failed {
  ok: false;
  error: Problem;
}

export interface Inspection {
  ok: true;
  wrapper_path: string;
  suggested_wrapper_path: string;
  wrapper_candidates: string[];
  rows: number;
  fields: Field[];
  error?: string;
  suggestions: Record<Kind, Mapping>;
}

export interface Key {
  by: 'id' | 'name' | 'email' | 'property' | 'contact';
  value: string;
  property?: string;
}

export type Target = { existing: string } | { new: number };

export interface Link {
  target: Target;
  key: Key;
  create?: { external_id?: string; name?: string };
}

export interface Write {
  external_id?: string;
  name?: string;
  email?: string;
  account?: Link;
  type?: string;
  contact?: Link;
  timestamp?: string;
  event_id?: string;
  properties: Record<string, unknown>;
}

export type Outcome =
  | { action: 'create'; new: number; key?: Key; record: Write }
  | { action: 'update'; target: Target; key: Key; record: Write }
  | { action: 'delete'; target: Target; key: Key }
  | { action: 'skip'; reason: string; key?: Key }
  | { action: 'duplicate'; event_id: string }
  | { action: 'error'; error: string; path?: string };

export type Action = Outcome['action'];
export const ACTIONS: Action[] = ['create', 'update', 'delete', 'skip', 'duplicate', 'error'];

export type RowPlan = Outcome & { index: number; warnings?: string[] };

export type Summary = { rows: number } & Record<Action, number>;

export interface Plan {
  kind: Kind;
  behavior: Behavior;
  rows: RowPlan[];
  summary: Summary;
}

export type PreviewResult =
  { ok: boolean; plan: Plan } | { ok: true; connection_test: true } | Failed;

export interface Column {
  path: string;
  column: string;
  used_for: string;
}

export interface LiquidTemplate {
  ok: true;
  single: string;
  batch: string;
  columns: Column[];
  notes: string[];
}

/** One difference between a request's rows and the baseline (DESIGN §13). */
export interface Drift {
  kind: 'mapped_field_blank' | 'field_added' | 'field_removed' | 'type_changed';
  field: string;
  rows: number;
  expected: string;
  found: string;
  message: string;
}

export interface DriftResult {
  ok: true;
  baseline_rows: number;
  rows: number;
  drift: Drift[];
}
