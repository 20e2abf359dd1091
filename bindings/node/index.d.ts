// Type declarations for callmem: the request and response shapes of
// docs/contract.md, as the JSON Schemas of docs/schema/ give them. Requests are
// plain objects (serialised with JSON.stringify); answers are plain objects
// parsed from the library's JSON.

/** ISO-8601 UTC with milliseconds and Z, e.g. "2026-02-07T10:30:00.000Z" (an offset is accepted in requests). */
export type Timestamp = string;
/** Any JSON value (variable values, call data). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export type LineType = 'mobile' | 'landline' | 'voip' | 'unknown';
/** A stored number's line type: the host's LineType, else the numbering plan's. */
export type StoredLineType =
  | LineType
  | 'fixed_line_or_mobile'
  | 'toll_free'
  | 'premium_rate'
  | 'shared_cost'
  | 'personal_number'
  | 'pager'
  | 'uan'
  | 'voicemail';
export type Attestation = 'A' | 'B' | 'C';
export type Verstat = 'TN-Validation-Passed' | 'TN-Validation-Failed' | 'No-TN-Validation';
export type Channel = 'voice' | 'chat' | 'email' | 'sms';
export type Direction = 'inbound' | 'outbound';
export type Level = 'very_high' | 'high' | 'medium' | 'low';
export type Recommendation = 'reuse' | 'confirm' | 'ignore';
export type IntentStatus = 'open' | 'resolved' | 'abandoned';
export type EvidenceSignal =
  | 'ani'
  | 'external_id'
  | 'customer_ref'
  | 'recency'
  | 'intent_continuity'
  | 'feedback'
  | 'alternatives'
  | 'new_customer'
  | 'hold'
  | 'confirmed_number';

// ---- configuration ----

/** The probabilistic scorer's parameters (docs/identity.md); a patch names any of them. */
export interface IdentityWeights {
  ani?: {
    m?: number;
    u?: { mobile?: number; landline?: number; voip?: number; unknown?: number; business?: number };
  };
  external_id?: { m?: number; u?: number };
  customer_ref?: { m?: number; u?: number };
  recency?: { within_day?: number; within_week?: number; over_30_days?: number };
  open_intent?: number;
}

export interface TenantSettings {
  /** 1-365, default 30. */
  ttl_days?: number;
  /** Region for national phone numbers when the DNIS gives none, e.g. "US". */
  default_region?: string;
  levels?: { very_high?: number; high?: number; medium?: number };
  recommendations?: { reuse?: number; confirm?: number };
  billing?: {
    enabled?: boolean;
    prices?: { start_new?: number; start_returning?: number; end?: number };
  };
  /** The scorer: "probabilistic" (default) or the hosted product's additive weights;
   *  the probabilistic scorer's parameters (docs/identity.md); whether a confirmation
   *  may merge a customer made twice (default true, docs/feedback.md). */
  identity?: { profile?: 'probabilistic' | 'hosted'; weights?: IdentityWeights; merge_duplicates?: boolean };
  /** `callmem serve`: requests per minute the tenant's keys may make (0, the default, is no limit). */
  rate_limit?: { requests_per_minute?: number };
}

export interface OpenConfig {
  /** "sqlite" (default, the file at `path`) or "postgres" (the database at `dsn`, shared by many nodes). */
  store?: 'sqlite' | 'postgres';
  /** The database file ("callmem.db" by default); ":memory:" is a private in-memory database. */
  path?: string;
  /** postgres: a libpq connection string or postgresql:// URI (required with store "postgres"). */
  dsn?: string;
  /** postgres: the schema holding the tables ("callmem" by default; created when missing). */
  schema?: string;
  /** postgres: connections at most (default 16). */
  pool_size?: number;
  /** How long a write waits for the store's lock before failing with Busy (default 5000). */
  busy_timeout_ms?: number;
  /** Settings of tenants never configured. */
  default_settings?: TenantSettings;
}

// ---- call start and end ----

export interface IdentityHints {
  /** The caller's number (E.164 or any form libphonenumber reads); "" is a withheld number. */
  ani?: string;
  /** The dialled number. */
  dnis?: string;
  /** Ids the caller gave: account number, CRM id, e-mail. */
  external_ids?: Record<string, string>;
  customer_ref?: string;
}

export interface Telco {
  line_type?: LineType;
  attestation?: Attestation;
  verstat?: Verstat;
}

export interface StartCallRequest {
  /** 1-128 characters, unique per tenant; a retry with the same request answers the same. */
  call_id: string;
  /** Must hold at least one of ani, external_ids, customer_ref (or give them at the top level, the legacy shape). */
  identity_hints?: IdentityHints;
  telco?: Telco;
  channel?: Channel;
  direction?: Direction;
  at?: Timestamp;
  /** Legacy shape: read as if inside identity_hints. */
  ani?: string;
  /** Legacy shape: read as if inside identity_hints. */
  external_ids?: Record<string, string>;
  /** Legacy shape: read as if inside identity_hints. */
  dnis?: string;
  /** Legacy shape: read as if inside identity_hints. */
  customer_ref?: string;
}

export interface Evidence {
  signal: EvidenceSignal;
  weight: number;
  detail: string;
}

export interface Identity {
  /** In [0, 1]: the probability that the caller is customer_ref. */
  confidence: number;
  level: Level;
  /** Summary tokens: "ani:mobile", "external_id", "customer_ref", "recency:1day", "intent_continuity". */
  sources: string[];
  recommendation: Recommendation;
  evidence?: Evidence[];
  candidates?: { customer_ref: string; confidence: number }[];
}

export interface OpenIntent {
  intent: string;
  status: IntentStatus;
  attempt_count: number;
  first_seen: Timestamp;
  last_seen: Timestamp;
}

export interface Variable {
  value: JsonValue;
  /** The call_id that saved it. */
  source: string;
  ttl_seconds: number;
  updated_at: Timestamp;
}

export interface StartCallResponse {
  call_id: string;
  customer_ref: string;
  call_start: Timestamp;
  identity: Identity;
  open_intents: OpenIntent[];
  variables: Record<string, Variable>;
}

export interface EndCallRequest {
  call_id: string;
  customer_ref?: string;
  intent?: string;
  intent_status?: IntentStatus;
  /** Legacy: true is "open", false "resolved". */
  intent_is_open?: boolean;
  intents?: { intent: string; status?: IntentStatus }[];
  /** Merged key by key into the customer's variables; null deletes a key. */
  variables?: Record<string, JsonValue>;
  variable_ttl_seconds?: Record<string, number>;
  external_ids?: Record<string, string>;
  /** For a standalone end (no start was made). */
  identity_hints?: IdentityHints;
  telco?: Telco;
  at?: Timestamp;
}

export interface EndCallResponse {
  call_id: string;
  customer_ref: string;
  call_start: Timestamp;
  call_end: Timestamp;
  duration_seconds: number;
  intents_updated: number;
  variables_updated: number;
}

// ---- customer data ----

/** By customer_ref or by identity hints. */
export type CustomerSelector =
  | { customer_ref: string; identity_hints?: never }
  | { identity_hints: IdentityHints; customer_ref?: never };

export type GetCustomerRequest = CustomerSelector & { history_limit?: number; cursor?: string };

export interface StoredIdentity {
  type: 'ani' | 'external_id';
  /** The external id's key (type external_id). */
  key?: string;
  value: string;
  line_type?: StoredLineType;
  first_seen: Timestamp;
  last_seen: Timestamp;
}

export interface CallRecord {
  call_id: string;
  call_start: Timestamp;
  call_end: Timestamp | null;
  channel: Channel;
  direction: Direction;
  /** Interaction ids kept on the call, never used as identity. */
  call_data: Record<string, string>;
}

export interface Customer {
  customer_ref: string;
  created_at: Timestamp;
  last_seen: Timestamp;
  identities: StoredIdentity[];
  /** Open and closed. */
  intents: OpenIntent[];
  variables: Record<string, Variable>;
  /** Newest first. */
  calls: CallRecord[];
  /** Pass as `cursor` for the next page of calls; null at the end. */
  next_cursor: string | null;
}

export interface ForgetResponse {
  customer_ref: string;
  removed: {
    identities: number;
    intents: number;
    variables: number;
    calls: number;
    aliases: number;
    merges: number;
  };
}

/** Every stored fact about one customer (the whole history, unpaginated). */
export type CustomerExport = Customer;

// ---- feedback ----

export type IdentityFeedbackRequest =
  | { call_id: string; outcome: 'confirmed' | 'rejected'; at?: Timestamp }
  | { call_id: string; outcome: 'corrected'; customer_ref: string; at?: Timestamp };

export interface Moved {
  identities: number;
  intents: number;
  variables: number;
  calls: number;
}

export interface IdentityFeedbackResponse {
  call_id: string;
  outcome: 'confirmed' | 'rejected' | 'corrected';
  previous_customer_ref: string;
  customer_ref: string;
  customer_created: boolean;
  links_added: number;
  links_removed: number;
  intents_moved: number;
  variables_moved: number;
  /** A merge (corrected; or confirmed, of a customer made twice): undone by unmerge({merge_id}). */
  merge: { merge_id: string; alias: string; alias_of: string; moved: Moved; conflicts: number } | null;
  at: Timestamp;
}

/** One past call of a bulk import: its start, its end, or both, each with its `at`. */
export interface ImportCall {
  start?: StartCallRequest & { at: Timestamp };
  /** Without call_id, the start's. */
  end?: Omit<EndCallRequest, 'call_id'> & { call_id?: string; at: Timestamp };
}

export interface ImportOptions {
  /** Stop at the first call refused (what came before it stays). */
  strict?: boolean;
  /** Calls per write transaction, 1 to 1000000. */
  batch?: number;
}

export interface ImportSummary {
  /** Calls of which something was written. */
  imported: number;
  /** Calls already there, the same: nothing written. */
  skipped: number;
  /** Refused calls by line (from 1), with the error document (paths begin with "start" or "end"). */
  rejected: { line: number; call_id: string; error: ErrorDocument }[];
  /** Strict only: the line it stopped at. */
  stopped_at?: number;
  /** Strict only: calls of which nothing was applied. */
  not_applied?: number;
}

export interface UnmergeRequest {
  merge_id: string;
}

export interface UnmergeResponse {
  merge_id: string;
  customer_ref: string;
  restored_customer_ref: string;
  restored: Moved;
  unmerged_at: Timestamp;
}

// ---- credits, usage, purge ----

export interface GrantCreditsRequest {
  amount: number;
  idempotency_key: string;
}

export interface UsageRequest {
  from?: Timestamp;
  to?: Timestamp;
}

export interface UsageResponse {
  balance: number;
  /** One row per UTC day (YYYY-MM-DD) and operation. */
  days: { day: string; operation: 'start_new' | 'start_returning' | 'end'; count: number; credits: number }[];
}

export interface PurgeRequest {
  now?: Timestamp;
  limit?: number;
}

export interface PurgeResponse {
  deleted: {
    identities: number;
    intents: number;
    variables: number;
    calls: number;
    customers: number;
    aliases: number;
    merges: number;
  };
  /** True when the purge reached its limit: call again. */
  more: boolean;
}

// ---- errors ----

/** A field issue of an error document: `path` names the field, e.g. ["intents", "0", "status"]. */
export interface Issue {
  path: string[];
  message: string;
}

/** The contract's error document, as the C ABI wrote it. */
export interface ErrorDocument {
  error: string;
  message: string;
  /** Present when there are field issues. */
  details?: { issues: Issue[] };
}

export type StatusCode =
  | 'CALLMEM_ERROR'
  | 'CALLMEM_EINVALID'
  | 'CALLMEM_ENOTFOUND'
  | 'CALLMEM_ECONFLICT'
  | 'CALLMEM_ECREDITS'
  | 'CALLMEM_EBUSY'
  | 'CALLMEM_ESTORE';

/** Every rejection of this package. Status -1 (CALLMEM_ERROR) for anything without a subclass. */
export class CallmemError extends Error {
  /** The C status: -1 to -7. */
  readonly status: number;
  readonly code: StatusCode;
  /** The HTTP twin: 400, 402, 404, 409, 500, 503. */
  readonly httpStatus: number;
  /** The error document's field issues; empty when it has none. */
  readonly issues: Issue[];
  /** The whole error document; null when there was none (open, a closed handle). */
  readonly document: ErrorDocument | null;
}
/** -2, HTTP 400. */
export class InvalidRequest extends CallmemError {}
/** -3, HTTP 404. */
export class NotFound extends CallmemError {}
/** -4, HTTP 409. */
export class Conflict extends CallmemError {}
/** -5, HTTP 402. */
export class InsufficientCredits extends CallmemError {}
/** -6, HTTP 503; nothing was written, safe to retry. */
export class Busy extends CallmemError {}
/** -7, HTTP 500. */
export class StoreError extends CallmemError {}

// ---- the call memory ----

/**
 * A call memory over one database. Every operation runs off the event loop
 * (the binding's runner thread, or libuv's thread pool) and answers a
 * Promise; many may be in flight at once.
 */
export class CallMemory {
  /** Starts opening; operations wait for it. `ready()` reports a failed open. */
  constructor(config?: OpenConfig);
  ready(): Promise<this>;

  startCall(tenant: string, request: StartCallRequest): Promise<StartCallResponse>;
  endCall(tenant: string, request: EndCallRequest): Promise<EndCallResponse>;
  getCustomer(tenant: string, request: GetCustomerRequest): Promise<Customer>;
  forgetCustomer(tenant: string, request: CustomerSelector): Promise<ForgetResponse>;
  exportCustomer(tenant: string, request: CustomerSelector): Promise<CustomerExport>;
  /** Any subset of the settings; answers the tenant's full settings. No argument (`{}`) writes nothing. */
  configureTenant(tenant: string, settings?: TenantSettings): Promise<TenantSettings>;
  /** The tenant's full settings, read without writing (a tenant never configured follows `default_settings`). */
  tenantSettings(tenant: string): Promise<TenantSettings>;
  grantCredits(tenant: string, request: GrantCreditsRequest): Promise<{ balance: number }>;
  usage(tenant: string, request?: UsageRequest): Promise<UsageResponse>;
  /** Across all tenants. */
  purgeExpired(request?: PurgeRequest): Promise<PurgeResponse>;
  identityFeedback(tenant: string, request: IdentityFeedbackRequest): Promise<IdentityFeedbackResponse>;
  unmerge(tenant: string, request: UnmergeRequest): Promise<UnmergeResponse>;
  /**
   * Bulk import of past calls (docs/import.md): NDJSON text, or `{start, end}` objects, each with its `at`.
   * In time order, not billed, `batch` calls per transaction (default 2000); a call already there is skipped.
   */
  importCalls(tenant: string, calls: string | Iterable<ImportCall>, options?: ImportOptions): Promise<ImportSummary>;
  /**
   * The tenant of a live API key of `callmem keys create`; rejects with NotFound when it is unknown or revoked.
   * Only the key's SHA-256 reaches libcallmem.
   */
  apiKeyTenant(key: string): Promise<{ tenant: string; key_id: string }>;

  /** Waits for the calls in flight, then closes. Idempotent; later operations reject with CallmemError. */
  close(): Promise<void>;
  /** True once close() was called. */
  readonly closed: boolean;
}

/** Opens (creating or migrating) a call memory; rejects with a CallmemError. */
export function open(config?: OpenConfig): Promise<CallMemory>;

/** Loads libcallmem if needed and answers its version, e.g. "0.1.0". Throws CallmemError when not found. */
export function version(): string;

/** The path libcallmem was loaded from, once loaded. */
export const libraryPath: string | null;
