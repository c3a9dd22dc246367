-- The counts the bundle's META reports (BuildStats).
SELECT l.lines, u.lines_used, u.unknown_items,
       (SELECT COUNT(DISTINCT bid) FROM basket_items) AS baskets,
       (SELECT COUNT(*) FROM (SELECT bid FROM basket_items GROUP BY bid HAVING COUNT(*) > {{max_basket}}) x) AS large_baskets,
       (SELECT COUNT(DISTINCT cid) FROM basket_items) AS customers,
       (SELECT COUNT(*) FROM pair_counts) AS pairs_seen,
       (SELECT COUNT(*) FROM pair_counts WHERE customers < {{k}}) AS pairs_below_k
FROM (SELECT COUNT(*) AS lines FROM orders) l,
     (SELECT COUNT(c.item) AS lines_used, COUNT(*) - COUNT(c.item) AS unknown_items
      FROM orders o LEFT JOIN catalog c ON c.item = o.item WHERE o.at_ms < {{until_ms}}) u;
