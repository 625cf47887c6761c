// Generated from the Rust types of inlet-core by `cargo test -p inlet-core --features ts --test ts_types`
// (INLET_BLESS=1 rewrites it). Do not edit: change the Rust type.

export type Kind = "accounts" | "contacts" | "events";

export type Behavior = "upsert" | "update";

export type OnRemoved = "ignore" | "delete";

export type MatchSpec = { id?: string, name?: string, email?: string, custom?: CustomMatch, };

export type CustomMatch = { path: string, property: string, };

export type AccountLink = { id?: string, name?: string, };

export type EventType = { path?: string, value?: string, };

export type EventSpec = { type?: EventType, account_id?: string, contact_id?: string, timestamp?: string, id?: string, };

export type PropertiesSpec = { path?: string, include?: Array<string>, exclude?: Array<string>, };

/**
 * The mapping document, exactly as users write it (docs/design.md §4).
 */
export type Mapping = { version: 1, kind: Kind, behavior?: Behavior, wrapper_path?: string, operation_path?: string, on_removed?: OnRemoved, match?: MatchSpec, account?: AccountLink, event?: EventSpec, properties?: PropertiesSpec, };

/**
 * A record the plan touches: one that exists, or the n-th record this plan creates.
 */
export type Target = { "existing": string } | { "new": number };

export type By = "id" | "name" | "email" | "property" | "contact";

/**
 * The normalised key a row was matched (or created) by.
 */
export type Key = { by: By, value: string, property?: string, };

/**
 * An account a contact row creates on the way (contacts with `account` under upsert).
 */
export type NewAccount = { external_id?: string, name?: string, };

/**
 * A link from a contact to its account, or from an event to its contact or account.
 */
export type Link = { target: Target, key: Key, 
/**
 * Set when this row creates the account (it becomes `target`, which is then `new`).
 */
create?: NewAccount, };

/**
 * The fields a create or update writes. Which are set depends on the kind.
 */
export type Write = { 
/**
 * Create: the row's ID. Update: only when it fills an empty stored ID.
 */
external_id?: string, 
/**
 * Accounts.
 */
name?: string, 
/**
 * Contacts.
 */
email?: string, 
/**
 * Contacts: their account. Events: the account they belong to.
 */
account?: Link, 
/**
 * Events.
 */
type?: string, contact?: Link, 
/**
 * Events: RFC 3339 UTC; absent means the time the request was received.
 */
timestamp?: string, event_id?: string, 
/**
 * Top-level keys overwrite; `null` removes the key (never present on a create).
 */
properties: Record<string, unknown>, };

export type Outcome = { "action": "create", new: number, key?: Key, record: Write, } | { "action": "update", target: Target, key: Key, record: Write, } | { "action": "delete", target: Target, key: Key, } | { "action": "skip", reason: string, key?: Key, } | { "action": "duplicate", event_id: string, } | { "action": "error", error: string, path?: string, };

export type RowPlan = { index: number, warnings?: Array<string>, } & ({ "action": "create", new: number, key?: Key, record: Write, } | { "action": "update", target: Target, key: Key, record: Write, } | { "action": "delete", target: Target, key: Key, } | { "action": "skip", reason: string, key?: Key, } | { "action": "duplicate", event_id: string, } | { "action": "error", error: string, path?: string, });

export type Summary = { rows: number, create: number, update: number, delete: number, skip: number, duplicate: number, error: number, };

export type Plan = { kind: Kind, behavior: Behavior, rows: Array<RowPlan>, summary: Summary, };

export type Problem = { code: string, 
/**
 * The HTTP status the listener would answer.
 */
status: number, detail: string, field?: string, };

export type PreviewOutput = { ok: boolean, plan: Plan, } | { ok: true, connection_test: true, } | { ok: false, error: Problem, };

export type Field = { 
/**
 * Relative to a row, in canonical path syntax.
 */
path: string, 
/**
 * `string`, `number`, … or several joined with `|` when rows disagree.
 */
type: string, 
/**
 * The first non-null value seen (containers are not repeated here).
 */
example: unknown, 
/**
 * How many of the scanned rows have it.
 */
present: number, };

export type Inspection = { 
/**
 * The wrapper path the rows were read from.
 */
wrapper_path: string, suggested_wrapper_path: string, 
/**
 * Paths in the body that hold rows (arrays of objects, or objects), for the wrapper picker.
 */
wrapper_candidates: Array<string>, rows: number, fields: Array<Field>, 
/**
 * Why no rows could be read at this wrapper path, if so.
 */
error?: string, };

/**
 * What the template reads from a row, for the UI's column list.
 */
export type Column = { 
/**
 * Where the mapping reads it, relative to a row (`company.name`).
 */
path: string, 
/**
 * The Hightouch column the template fills it from (`company_name`).
 */
column: string, 
/**
 * What the mapping uses it for (`match.id`, `account.name`, `property`, …).
 */
used_for: string, };

export type Template = { 
/**
 * One row per request.
 */
single: string, 
/**
 * Hightouch batching: every row of the batch in one request.
 */
batch: string, columns: Array<Column>, 
/**
 * Things the user should know when pasting the template (operation values, extra columns).
 */
notes: Array<string>, };

/**
 * The three kinds of drift of DESIGN §13 (the second in its two directions).
 */
export type DriftKind = "mapped_field_blank" | "field_added" | "field_removed" | "type_changed";

/**
 * One difference between a request and the baseline.
 */
export type Drift = { kind: DriftKind, 
/**
 * The field, in path syntax (`first_name`, `traits.email`, `["first.name"]`).
 */
field: string, 
/**
 * Rows of this request that show it.
 */
rows: number, 
/**
 * What the baseline had, in words (`filled in 100% of 40 rows`, `number`).
 */
expected: string, 
/**
 * What this request has (`blank in 3 of 3 rows`, `string`).
 */
found: string, 
/**
 * One sentence a sender or a user can act on.
 */
message: string, };
