-- ClickHouse 18.16: pairs the ClickHouse way (each basket's items as an array, ARRAY JOIN for
-- the first item, arrayJoin over the larger ones for the second), counted on each shard.
-- on each shard
CREATE TABLE pair_counts_local ENGINE = MergeTree ORDER BY (a, b) AS
SELECT a, b, count() AS n_baskets, uniqExact(customer) AS n_customers
FROM (
  SELECT customer, a, arrayJoin(arrayFilter(x -> x > a, items)) AS b
  FROM (
    SELECT customer, groupArray(item) AS items FROM basket_items_local
    GROUP BY basket, customer HAVING count() <= {{max_basket}}
  ) ARRAY JOIN items AS a
) GROUP BY a, b;

CREATE TABLE pair_counts_all AS pair_counts_local ENGINE = Distributed(emma, default, pair_counts_local, a);

-- A customer's baskets are on one shard only, so distinct customers add up across shards.
CREATE TABLE pair_counts ENGINE = Memory AS
SELECT a, b, sum(n_baskets) AS baskets, sum(n_customers) AS customers FROM pair_counts_all GROUP BY a, b;

SELECT item_a, item AS item_b, baskets
FROM (
  SELECT item_a, b_idx AS idx, baskets
  FROM (
    SELECT item AS item_a, b_idx, baskets
    FROM (SELECT a AS idx, b AS b_idx, baskets FROM pair_counts WHERE customers >= {{k}}) ANY INNER JOIN catalog USING idx
  )
) ANY INNER JOIN catalog USING idx;
