// Types of the public API of `tante-emma`. Every method returns a Promise.

export type ErrorCode =
  | 'BAD_REQUEST' | 'BAD_BUNDLE' | 'BAD_EVENT' | 'BAD_CONSENT' | 'NO_BUNDLE' | 'NO_CONSENT' | 'NO_KEY'
  | 'TAMPERED' | 'WRONG_KEY' | 'UNSUPPORTED' | 'OUT_OF_MEMORY' | 'INTERNAL' | 'WASM_LOAD' | 'ENGINE_FAILED'
  | 'STORAGE_QUOTA' | 'STORAGE_FAILED' | 'STORAGE_UNAVAILABLE' | 'CLOSED';

export class EmmaError extends Error {
  readonly name: 'EmmaError';
  /** Stable: switch on it. */
  readonly code: ErrorCode;
}

export type Purpose = 'personalization' | 'insights' | 'sync';
export type ConsentSource = 'banner' | 'api' | 'tcf' | 'consent-mode' | 'gpc' | 'privacy-centre';

export interface StorageAdapter {
  readonly kind: string;
  /** True when values may be CryptoKey objects (IndexedDB): the data key is then wrapped. */
  readonly canHoldCryptoKeys?: boolean;
  get(name: string): Promise<unknown>;
  /** Writes all entries atomically: all land or none. */
  putMany(entries: Array<[string, unknown]>): Promise<void>;
  delete(name: string): Promise<void>;
  keys(): Promise<string[]>;
  /** Removes every record and the container itself. */
  destroy(): Promise<void>;
}

export interface EmmaOptions {
  /** A URL of the bundle file, its bytes, or a plain catalog object `{ items: [...] }`. */
  bundle: string | URL | ArrayBuffer | Uint8Array | { items: CatalogItem[] };
  /** A shop id (1–128 characters); it is bound into the encryption. */
  shop: string;
  /** 'indexeddb' (browser default) | 'memory' | 'fs:<dir>' (Node) | an adapter object. Node default: 'memory'. */
  storage?: 'indexeddb' | 'memory' | `fs:${string}` | StorageAdapter;
  /** Where the engine's .wasm file is; defaults to the file shipped beside the package. */
  wasmUrl?: string | URL;
  /**
   * Consent sources of the page to listen to (browsers; ignored in Node). 'banner' is the
   * embed's own banner (nothing to listen to); 'tcf' relays IAB TCF v2.2 TCData from
   * `__tcfapi`, 'consent-mode' Google Consent Mode v2 `personalization_storage` updates from
   * `dataLayer`, 'gpc' `navigator.globalPrivacyControl`. The engine decides what each means.
   */
  consent?: { sources?: Array<'banner' | 'tcf' | 'consent-mode' | 'gpc'> };
  /** Handlers registered before start-up, so they also hear start-up problems. */
  on?: Partial<{ [E in EmmaEvent]: (detail: any) => void }>;
  /** Clock in ms since the epoch (tests). */
  now?: () => number;
}

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

export interface Reason { kind: 'viewed' | 'category' | 'popular' | 'catalog' | string; text: string; [k: string]: unknown }

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
}

export interface RecommendRules {
  inStock?: boolean;
  /** Category paths ("Home/Candles"); a plain array means include. */
  categories?: string[] | { include?: string[]; exclude?: string[] };
  brands?: string[] | { include?: string[]; exclude?: string[] };
  tags?: string[] | { include?: string[]; exclude?: string[] };
  price?: { min?: number; max?: number };
  excludePurchased?: boolean;
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

export interface RecommendRequest {
  scenario?: 'for_you' | 'trending' | 'similar' | 'bought_together' | 'recently_viewed' | 'rerank';
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
  rules?: RecommendRules;
}

export interface Recommendations { scenario: string; personalized: boolean; items: RecommendedItem[] }

export interface PurposeState { granted: boolean; at?: number; version?: string; source?: string }
export type ConsentState = Record<Purpose, PurposeState>;
export interface ConsentRecord { purpose: Purpose; granted: boolean; at: number; version: string; text_hash: string; source: string; lang: string }
export interface ConsentDetails { version?: string; text?: string; source?: ConsentSource; lang?: string }

export type EmmaEvent = 'error' | 'consent' | 'storage' | 'recommendations';

export interface Emma {
  track(event: EmmaEventInput): Promise<{ recorded: boolean; stored: boolean }>;
  recommend(request?: RecommendRequest): Promise<Recommendations>;
  consent: {
    grant(purpose: Purpose, details: ConsentDetails & { version: string }): Promise<ConsentState>;
    withdraw(purpose: Purpose, details?: ConsentDetails): Promise<ConsentState>;
    state(): Promise<ConsentState>;
    records(): Promise<ConsentRecord[]>;
    /** Relays a consent source's report; the engine decides what it means per purpose. */
    signal(source: 'tcf' | 'consent-mode' | 'gpc', signal: Record<string, unknown>): Promise<ConsentState>;
  };
  profile: {
    export(): Promise<Record<string, unknown>>;
    object(on?: boolean): Promise<{ objected: boolean }>;
  };
  erase(): Promise<void>;
  on(event: EmmaEvent, handler: (detail: any) => void): () => void;
  close(): Promise<void>;
}

export function createEmma(options: EmmaOptions): Promise<Emma>;
