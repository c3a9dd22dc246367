// Types of `tante-emma/react` (js-bindings/src/react.js).
import type { ReactElement, ReactNode } from 'react';
import type { Emma, EmmaError, EmmaOptions, Reason, RecommendRequest, RecommendedItem, SegmentDefinition, Variant } from './index.js';

/** Starts one Emma instance for its children (closed on unmount), or shares `emma`. `options` is read once. */
export function EmmaProvider(props: { options?: EmmaOptions; emma?: Emma; children?: ReactNode }): ReactElement;
/** The instance; null until it has started, and during server-side rendering. */
export function useEmma(): Emma | null;
/** Asked again when the request's content or the shopper's consent changes. */
export function useRecommendations(request?: RecommendRequest): {
  items: RecommendedItem[] | null;
  personalized: boolean;
  loading: boolean;
  error: EmmaError | null;
};
/** Keeps `children` (the shop's fallback) until the engine answers with at least one item. */
export function EmmaSlot(props: {
  request: RecommendRequest;
  renderItem: (item: RecommendedItem) => ReactNode;
  children?: ReactNode;
  as?: string;
  [attribute: string]: unknown;
}): ReactElement;
/** Which of `variants` fits this shopper (pick_variant); `chosen` is null when none does. Asked again when the variants or the consent change. */
export function useVariant(variants: Variant[], definitions?: SegmentDefinition[]): {
  chosen: string | null;
  reasons: Reason[];
  loading: boolean;
  error: EmmaError | null;
};
/** The fitting variant's `render()` replaces `children` (the shop's default), which stay when nothing fits, without consent or engine. */
export function EmmaChoose(props: {
  variants: Array<Variant & { render: () => ReactNode }>;
  definitions?: SegmentDefinition[];
  children?: ReactNode;
  as?: string;
  [attribute: string]: unknown;
}): ReactElement;
