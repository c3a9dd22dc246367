// Types of the public API of `tante-emma`. Every method returns a Promise.

export type ErrorCode =
  | 'BAD_REQUEST' | 'BAD_BUNDLE' | 'BAD_EVENT' | 'BAD_CONSENT' | 'NO_BUNDLE' | 'NO_CONSENT' | 'NO_KEY'
  | 'TAMPERED' | 'WRONG_KEY' | 'UNSUPPORTED' | 'OUT_OF_MEMORY' | 'INTERNAL' | 'WASM_LOAD' | 'ENGINE_FAILED'
  | 'STORAGE_QUOTA' | 'STORAGE_FAILED' | 'STORAGE_UNAVAILABLE' | 'CLOSED' | 'INSIGHTS_FAILED'
  | 'BAD_BACKUP' | 'WRONG_PASSPHRASE' | 'SYNC_FAILED';

export class EmmaError extends Error {
  readonly name: 'EmmaError';
  /** Stable: switch on it. */
  readonly code: ErrorCode;
}

export type Purpose = 'personalization' | 'insights' | 'sync';
export type ConsentSource = 'banner' | 'api' | 'tcf' | 'consent-mode' | 'gpc' | 'privacy-centre';

/**
 * A storage adapter (`storage` option). Every adapter of the package passes one conformance
 * suite (tests/e2e/pages/storage-conformance.js). A value is a Uint8Array or JSON data that
 * may contain Uint8Arrays (and CryptoKeys where `canHoldCryptoKeys`); values are copies.
 */
export interface StorageAdapter {
  readonly kind: string;
  /** False for memory: nothing outlives the page. */
  readonly persistent?: boolean;
  /** True when other tabs see the same records (IndexedDB, localStorage): Emma then locks. */
  readonly shared?: boolean;
  /** True when values may be CryptoKey objects (IndexedDB): the data key is then wrapped. */
  readonly canHoldCryptoKeys?: boolean;
  get(name: string): Promise<unknown>;
  /** Several records read at one moment (one transaction, one read). */
  getMany?(names: string[]): Promise<unknown[]>;
  /** Writes all entries atomically: all land or none. A value of `undefined` deletes that record in the same write. */
  putMany(entries: Array<[string, unknown]>): Promise<void>;
  delete(name: string): Promise<void>;
  keys(): Promise<string[]>;
  /** Removes every record and the container itself (the IndexedDB database, the localStorage item, the folder). */
  destroy(): Promise<void>;
  close?(): void | Promise<void>;
}

/**
 * What `storage` events carry. `ok: false` comes with an error `code`; `fallback` says where
 * Emma went on (`'localstorage'` when IndexedDB is unusable, `'memory'` for the rest of the
 * page); `setAside` names the records a damaged profile was moved to; `keyProtection: 'raw'`
 * says the data key is stored unwrapped (localStorage, Node files); `reloaded` says the
 * profile was taken in from another tab (`erased` when that tab erased it).
 */
export interface StorageEventDetail {
  ok: boolean;
  code?: ErrorCode;
  message?: string;
  kind?: string;
  fallback?: 'localstorage' | 'memory';
  setAside?: string;
  keyProtection?: 'raw';
  bytes?: number;
  reloaded?: boolean;
  erased?: boolean;
  /** The stored profile was unused past the retention period and was erased, not restored. */
  expired?: boolean;
  events?: number;
}

export interface StorageInfo {
  kind: 'indexeddb' | 'localstorage' | 'memory' | 'fs' | string;
  persistent: boolean;
  /** wrapped: under a non-extractable WebCrypto key; raw: stored as bytes beside the profile; memory: never stored. */
  keyProtection: 'wrapped' | 'raw' | 'memory';
  /** locked: Web Locks + BroadcastChannel; unlocked: no Web Locks here (insecure page); none: not shared. */
  crossTab: 'locked' | 'unlocked' | 'none';
  /** Kept through the browser's clean-ups (navigator.storage.persisted()): asked for after consent where the browser grants it without a prompt; Node's files: true. */
  persisted: boolean;
}

/** A stored profile that could not be opened (TAMPERED, WRONG_KEY), kept as it was. */
export interface SetAsideRecord {
  /** `quarantine.<ms>`: pass it to storage.deleteSetAside(). */
  id: string;
  at: number | null;
  code: ErrorCode | null;
  message: string | null;
  storage: string;
  /** The sealed profile, byte for byte. */
  profile?: Uint8Array;
  /** The key record that went with it. */
  key?: unknown;
  /** A whole container the adapter could not read (a damaged store file or item). */
  store?: Uint8Array | string;
}

export interface EmmaOptions {
  /** A URL of the bundle file, its bytes, or a plain catalog object `{ items: [...] }`. */
  bundle: string | URL | ArrayBuffer | Uint8Array | { items: CatalogItem[] };
  /** A shop id (1–128 characters); it is bound into the encryption. */
  shop: string;
  /**
   * 'indexeddb' (browser default; falls back to 'localstorage', then memory, when IndexedDB is
   * missing or throws) | 'localstorage' | 'memory' | 'fs:<dir>' (Node) | an adapter object.
   * Node default: 'memory'.
   */
  storage?: 'indexeddb' | 'localstorage' | 'memory' | `fs:${string}` | StorageAdapter;
  /** Where the engine's .wasm file is; defaults to the file shipped beside the package. */
  wasmUrl?: string | URL;
  /**
   * Browsers: run the whole instance in a dedicated Web Worker so the page's main thread stays
   * free; the returned Emma is a proxy with the same methods and events. `true` uses the
   * package's `src/worker.js` (found with `new URL(…, import.meta.url)`); a string or URL names
   * another module worker script that runs it. In a worker there is no localStorage
   * (`storage: 'localstorage'` fails with STORAGE_UNAVAILABLE), and `now` and adapter objects
   * cannot be passed (BAD_REQUEST). A worker or wasm that cannot load fails with WASM_LOAD.
   */
  worker?: boolean | string | URL;
  /**
   * Consent sources of the page to listen to (browsers; ignored in Node). 'banner' is the
   * embed's own banner (nothing to listen to); 'tcf' relays IAB TCF v2.2 TCData from
   * `__tcfapi`, 'consent-mode' Google Consent Mode v2 `personalization_storage` updates from
   * `dataLayer`, 'gpc' `navigator.globalPrivacyControl`. The engine decides what each means.
   */
  consent?: {
    sources?: Array<'banner' | 'tcf' | 'consent-mode' | 'gpc'>;
    /** What the shop's consent tool shows per purpose: its decisions (TCF, Consent Mode) are recorded with this version and the text's hash. Not in the embed script. */
    texts?: Partial<Record<'personalization' | 'insights' | 'sync', { version: string; text?: string }>>;
  };
  /** Handlers registered before start-up, so they also hear start-up problems. */
  on?: Partial<{ [E in EmmaEvent]: (detail: any) => void }>;
  /** Clock in ms since the epoch (tests). */
  now?: () => number;
  /** Storage limitation: raw events kept this long (default 180 days), profiles unused this long erased (default 395). */
  retention?: { raw_event_days?: number; inactive_days?: number };
  /** Event weights (relative to a view) and the interest half-life in days (default 14). */
  profile?: { half_life_days?: number; view?: number; click?: number; add_to_cart?: number; remove_from_cart?: number; purchase?: number; category_view?: number; dwell_per_minute?: number };
  /** Where sync copies go (e.g. '/emma/sync'); `fetch` replaces the global fetch (Node, tests). */
  sync?: { endpoint: string; fetch?: typeof fetch };
  /** The data key is replaced, and the profile re-sealed, when older than this (default 90 days). */
  keys?: { rotation_days?: number };
  /** Who is responsible, for the record of processing. */
  controller?: { name?: string; contact?: string; dpo?: string };
  /** Opt-in audience statistics (docs/insights.md): the collector's URL, ε per report (2) and per day (2).
   *  `jitterMs` (test hook): the largest delay before sending, or [min, max] (default [5000, 60000]). */
  insights?: { endpoint?: string | URL; epsilon?: number; dailyEpsilon?: number; jitterMs?: number | [number, number]; fetch?: typeof fetch };
  /** An A/B experiment (docs/insights.md "Experiments"): the arm ('personalized' or 'control', a share `control`
   *  of shoppers) is drawn once per shopper on the device; 'control' gets non-personalised answers. `ends`: the
   *  last day 'YYYY-MM-DD' (UTC); `attributionDays` (7); `epsilon`: the part of each report's ε spent on the
   *  outcome bits (default half). */
  experiment?: { id: string; control: number; ends: string; attributionDays?: number; epsilon?: number };
}

/** One locally noised report, exactly as sent (docs/insights.md). */
export interface InsightsReport { v: 1; domain: string; day: string; epsilon: number; categories: string; segment: number; segment_bit: 0 | 1; nonce: string;
  /** Only while the shopper is in a running experiment: the arm in clear, two outcome bits by randomized response. */
  experiment?: string; arm?: 'personalized' | 'control'; outcome_epsilon?: number; opened?: 0 | 1; bought?: 0 | 1 }
export interface InsightsDomain { version: 1; id: string; categories: string[]; segments: string[]; epsilon: number; daily_epsilon: number }

export interface CatalogItem {
  id: string;
  title?: string;
  url?: string;
  image?: string;
  /** "Home > Candles", "Home/Candles" or ["Home", "Candles"]. */
  category?: string | string[];
  brand?: string;
  tags?: string[];
  price?: number;
  currency?: string;
  in_stock?: boolean;
  popularity?: number;
  attributes?: Record<string, unknown>;
}

export type EmmaEventInput =
  | { type: 'view' | 'click' | 'remove_from_cart'; item: string; at?: number }
  | { type: 'add_to_cart' | 'purchase'; item: string; quantity?: number; at?: number }
  | { type: 'search'; query: string; at?: number }
  | { type: 'category_view'; category: string; at?: number }
  | { type: 'dwell'; item: string; seconds: number; at?: number };

export interface Reason { kind: 'viewed' | 'category' | 'popular' | 'catalog' | 'bought_with' | 'similar' | 'same_kind' | 'same_brand' | 'similar_price' | 'your_brand' | 'your_price' | string; text: string; [k: string]: unknown }

export interface RecommendedItem {
  id: string;
  title: string;
  score: number;
  reasons: Reason[];
  url?: string;
  image?: string;
  category?: string[];
  brand?: string;
  tags?: string[];
  price?: number;
  currency?: string;
  in_stock: boolean;
  attributes?: Record<string, unknown>;
  /** offers: the offer's text and its valid days (YYYY-MM-DD); an offer has no in_stock, price or category. */
  text?: string;
  from?: string;
  until?: string;
}

export interface RecommendRules {
  inStock?: boolean;
  /** Category paths ("Home/Candles"); a plain array means include. */
  categories?: string[] | { include?: string[]; exclude?: string[] };
  brands?: string[] | { include?: string[]; exclude?: string[] };
  tags?: string[] | { include?: string[]; exclude?: string[] };
  price?: { min?: number; max?: number };
  /** Nothing the profile knows was bought, including purchases folded into counts past retention. */
  excludePurchased?: boolean;
  /** With excludePurchased: only purchases this recent (undated, folded ones count as recent as they may be). */
  repurchaseWindowDays?: number;
  excludeItems?: string[];
  /** Default true: not the page's own item. */
  excludeCurrent?: boolean;
  /** Default true: not what is in the cart. */
  excludeCart?: boolean;
  boost?: Array<{ field: 'brand' | 'tag' | 'category' | `attribute:${string}`; value: string; factor: number }>;
  pin?: Array<{ item: string; position?: number }>;
  diversity?: { maxPerCategory?: number; lambda?: number };
}

/**
 * A content variant for pick_variant (the embed's data-emma-choose). It fits when every condition
 * it names holds (a list: any entry); a variant naming none always fits. Dates are UTC days, inclusive.
 */
export interface Variant {
  id: string;
  categories?: string[];
  /** Built-in (new, returning, high_intent, price_sensitive, brand_loyal) or the request's `definitions`. */
  segments?: string[];
  returning?: boolean;
  price_sensitive?: boolean;
  from?: string;
  until?: string;
}

/** The shop's own segment: member when every condition named holds. */
export interface SegmentDefinition {
  id: string;
  when: { category?: string; min_affinity?: number; brand?: string; max_median_price?: number; min_purchases?: number; in_cart?: boolean };
}

export interface RecommendRequest {
  /**
   * discover: "new for you", items the shopper never bought (excludePurchased is implied).
   * pick_variant: which of `variants` fits (`chosen`, null when none does). offers: the bundle's offers valid
   * today that fit this shopper. reorder: bought items due again. continue: the cart, then the last visit's views.
   */
  scenario?: 'for_you' | 'discover' | 'trending' | 'similar' | 'bought_together' | 'recently_viewed' | 'rerank' |
    'pick_variant' | 'segments' | 'offers' | 'reorder' | 'continue';
  /** 1–100, default 8. */
  limit?: number;
  /** The page's item (required for similar). */
  item?: string;
  /** rerank: the page's list to reorder (required); bought_together: a cart. */
  items?: string[];
  /** rerank: the search query behind the list. */
  query?: string;
  /** trending: "7d", "30d", … */
  window?: string;
  /** Deterministic shuffling of ties and exploration. */
  seed?: number;
  /** pick_variant: the alternatives (1–100). */
  variants?: Variant[];
  /** segments, pick_variant, offers: the shop's own segments. */
  definitions?: SegmentDefinition[];
  rules?: RecommendRules;
}

/** pick_variant: one variant as the engine saw it. */
export interface VariantScore { id: string; score: number; fits: boolean; reasons: Reason[] }

/**
 * `window`: the popularity window the answer used ("7d", "30d", …), when the bundle has windows.
 * pick_variant: `chosen` (null when no variant fits) and every variant's score, fit and reasons (`items` is empty).
 * `partial`: a sharded catalog only (docs/catalog-size.md): true when the answer lacks data it would have used
 * (a shard of the page's items that did not load, or the lists of shopper's items neither loaded nor remembered;
 * or, for discover and excludePurchased, items of the lowest tier, which rank the loaded items only).
 */
export interface Recommendations {
  scenario: string; personalized: boolean; items: RecommendedItem[]; window?: string;
  chosen?: string | null; variants?: VariantScore[]; partial?: boolean;
}

export interface PurposeState { granted: boolean; at?: number; version?: string; source?: string }
export type ConsentState = Record<Purpose, PurposeState>;
export interface ConsentRecord { purpose: Purpose; granted: boolean; at: number; version: string; text_hash: string; source: string; lang: string }
export interface ConsentDetails { version?: string; text?: string; source?: ConsentSource; lang?: string }

export type EmmaEvent = 'error' | 'consent' | 'storage' | 'recommendations';

/** What a consent source reported (see `consent.signal`). */
export type ConsentSignal =
  | { enabled: boolean }
  | { personalization_storage?: 'granted' | 'denied' }
  | { gdprApplies?: boolean; eventStatus?: string; cmpId?: number; tcfPolicyVersion?: number;
      purpose?: { consents?: Record<string, boolean> }; publisher?: { consents?: Record<string, boolean> } };

export interface Emma {
  /** The package's semver, e.g. '0.2.0'. */
  readonly version: string;
  /** `stored`: the change is on persistent storage (false without consent, in memory, or when the write failed). */
  track(event: EmmaEventInput): Promise<{ recorded: boolean; stored: boolean }>;
  recommend(request?: RecommendRequest): Promise<Recommendations>;
  consent: {
    grant(purpose: Purpose, details: ConsentDetails & { version: string }): Promise<ConsentState>;
    withdraw(purpose: Purpose, details?: ConsentDetails): Promise<ConsentState>;
    state(): Promise<ConsentState>;
    records(): Promise<ConsentRecord[]>;
    /**
     * Relays a consent source's report; the engine decides what it means per purpose.
     * 'gpc': `{ enabled: boolean }` (navigator.globalPrivacyControl; true denies insights and sync);
     * 'consent-mode': `{ personalization_storage: 'granted' | 'denied' }`;
     * 'tcf': the TCData fields `{ gdprApplies, eventStatus, cmpId, tcfPolicyVersion, purpose: { consents }, publisher: { consents } }`.
     */
    signal(source: 'tcf' | 'consent-mode' | 'gpc', signal: ConsentSignal): Promise<ConsentState>;
  };
  profile: {
    /** Everything held, as JSON; `set_aside` lists set-aside records with their sealed bytes in base64. */
    export(): Promise<Record<string, unknown> & { set_aside: Array<{ id: string; at: number | null; code: string | null; message: string | null; profile_base64: string | null }> }>;
    object(on?: boolean): Promise<{ objected: boolean }>;
    /** Art. 16: forget one item, one category (with what was done with its items) or one search. */
    forget(what: { item: string } | { category: string } | { search: string }): Promise<{ forgotten: number; stored: boolean }>;
    /** A copy sealed under the shopper's passphrase (Argon2id + XChaCha20-Poly1305; docs/sync-and-backups.md "Backup format"). At least 10 characters. */
    backup(options: { passphrase: string; kdf?: { opslimit?: number; memlimit_kib?: number } }): Promise<Uint8Array>;
    /** Replaces this device's profile with the backup's; needs personalization granted here. */
    restore(bytes: Uint8Array | ArrayBuffer, options: { passphrase: string }): Promise<{ restored: boolean; events: number; stored: boolean }>;
  };
  /** Why this item would be recommended now: reasons and the signals behind them. */
  explain(item: string): Promise<{ item: string; personalized: boolean; score: number; reasons: Reason[]; signals: Record<string, number> }>;
  /** Art. 30: the record of processing activities, from the live configuration. */
  processingRecord(): Promise<{ json: Record<string, unknown>; markdown: string }>;
  storage: {
    info(): Promise<StorageInfo>;
    /** Records set aside because they could not be opened; kept until deleted or erase(). */
    setAside(): Promise<SetAsideRecord[]>;
    deleteSetAside(id: string): Promise<void>;
    /** A new data key now; the profile re-sealed under it in one atomic write. */
    rotateKey(): Promise<{ rotated: boolean; keyId: string | null }>;
  };
  insights: {
    /** What a report's bits mean (the bundle's top-level categories, the built-in segments) and the ε settings. */
    domain(): Promise<InsightsDomain>;
    /** The reports due now; spends today's budget. Needs `insights` and `personalization` (else NO_CONSENT). */
    report(): Promise<InsightsReport[]>;
  };
  /** End-to-end encrypted sync between the shopper's devices (needs `sync` and `personalization`; docs/sync-and-backups.md). */
  sync: {
    /** `pending`: this device's changes not yet known to be in the server copy (kept for the merge). */
    state(): Promise<{ enabled: boolean; syncId: string | null; updatedAt: number; allowed: boolean; pending: number }>;
    /** Without a passphrase only a pairing code can bring in another device. Sends the first copy.
     *  `passphrase`: whether one was given (the sync id and it join another device). */
    enable(options?: { passphrase?: string }): Promise<{ syncId: string; passphrase: boolean }>;
    /** A one-time code (24 characters, valid 10 minutes) to type on the other device. */
    pair(): Promise<{ code: string }>;
    /** A pairing code works once, for 10 minutes: used or expired, it is SYNC_FAILED. */
    join(how: { code: string } | { syncId: string; passphrase: string }): Promise<{ syncId: string; restored: boolean; events: number; stored: boolean }>;
    push(): Promise<{ pushed: boolean; bytes: number }>;
    pull(): Promise<{ applied: boolean; events?: number }>;
    /** Ends sync here and deletes the server copy. */
    disable(): Promise<{ deleted: boolean }>;
  };
  erase(): Promise<void>;
  on(event: 'storage', handler: (detail: StorageEventDetail) => void): () => void;
  on(event: EmmaEvent, handler: (detail: any) => void): () => void;
  close(): Promise<void>;
}

export function createEmma(options: EmmaOptions): Promise<Emma>;
