-- ClickHouse 18.16: the counts the bundle's META reports.
SELECT (SELECT count() FROM orders) AS lines,
       (SELECT count() FROM orders WHERE at_ms < {{until_ms}} AND item IN (SELECT item FROM catalog)) AS lines_used,
       (SELECT count() FROM orders WHERE at_ms < {{until_ms}} AND item NOT IN (SELECT item FROM catalog)) AS unknown_items,
       (SELECT count() FROM (SELECT basket, customer FROM basket_items GROUP BY basket, customer)) AS baskets,
       (SELECT count() FROM (SELECT basket, customer FROM basket_items GROUP BY basket, customer HAVING count() > {{max_basket}})) AS large_baskets,
       (SELECT uniqExact(customer) FROM basket_items) AS customers,
       (SELECT count() FROM pair_counts) AS pairs_seen,
       (SELECT countIf(customers < {{k}}) FROM pair_counts) AS pairs_below_k;
