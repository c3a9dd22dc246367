-- The counts the bundle's META reports (BuildStats).
SELECT l.lines, l.lines_used, l.unknown_items,
       (SELECT COUNT(DISTINCT bid) FROM basket_items) AS baskets,
       (SELECT COUNT(*) FROM (SELECT bid FROM basket_items GROUP BY bid HAVING COUNT(*) > {{max_basket}}) x) AS large_baskets,
       (SELECT COUNT(DISTINCT cid) FROM basket_items) AS customers,
       (SELECT COUNT(*) FROM pair_counts) AS pairs_seen,
       (SELECT COUNT(*) FROM pair_counts WHERE customers < {{k}}) AS pairs_below_k
FROM line_counts l;
