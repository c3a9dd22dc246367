// Types of `tante-emma/react` (js-bindings/src/react.js).
import type { ReactElement, ReactNode } from 'react';
import type { Emma, EmmaError, EmmaOptions, RecommendRequest, RecommendedItem } from './index.js';

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
