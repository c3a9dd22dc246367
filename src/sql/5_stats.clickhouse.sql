-- ClickHouse 18.16: the counts the bundle's META reports (a customer's baskets are on one
-- shard, so per-shard counts add up).
SELECT (SELECT sum(lines) FROM line_counts) AS lines,
       (SELECT sum(lines_used) FROM line_counts) AS lines_used,
       (SELECT sum(unknown_items) FROM line_counts) AS unknown_items,
       (SELECT count() FROM basket_lists) AS baskets,
       (SELECT countIf(n > {{max_basket}}) FROM basket_lists) AS large_baskets,
       (SELECT uniqExact(cid) FROM basket_lists) AS customers,
       (SELECT count() FROM pair_counts) AS pairs_seen,
       (SELECT countIf(customers < {{k}}) FROM pair_counts) AS pairs_below_k;
