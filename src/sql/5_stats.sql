-- The counts the bundle's META reports (BuildStats).
SELECT (SELECT COUNT(*) FROM orders) AS lines,
       (SELECT COUNT(*) FROM orders o JOIN catalog c ON c.item = o.item WHERE o.at_ms < {{until_ms}}) AS lines_used,
       (SELECT COUNT(*) FROM orders o LEFT JOIN catalog c ON c.item = o.item WHERE o.at_ms < {{until_ms}} AND c.item IS NULL) AS unknown_items,
       (SELECT COUNT(*) FROM (SELECT basket, customer FROM basket_items GROUP BY basket, customer) x) AS baskets,
       (SELECT COUNT(*) FROM (SELECT basket, customer FROM basket_items GROUP BY basket, customer HAVING COUNT(*) > {{max_basket}}) x) AS large_baskets,
       (SELECT COUNT(DISTINCT customer) FROM basket_items) AS customers,
       (SELECT COUNT(*) FROM pair_counts) AS pairs_seen,
       (SELECT COUNT(*) FROM pair_counts WHERE customers < {{k}}) AS pairs_below_k;
