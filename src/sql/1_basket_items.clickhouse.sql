-- ClickHouse 18.16: the tables of 1_basket_items.duckdb.sql, built on each shard from its own
-- orders (a customer's orders are all on one shard), with integers after the first grouping:
-- baskets numbered by their first line (bid), customers by their first basket (cid), items by
-- their catalog index. Then, per (customer, item), what 3_pairs and 4_repurchase need, from one
-- sorted array per customer (no window functions in 18.16):
--   first_buy  the customer's first basket with the item (baskets in (time, bid) order)
--   gap        time since the customer last bought the item, on the first basket of each
--              later distinct time (0 elsewhere: a real gap is never 0)

-- The catalog as a Join table, so that joinGet maps an item id to its index + 1 (0: unknown)
-- inside the one pass over the orders.
-- on each shard
CREATE TABLE catalog_ids ENGINE = Join(ANY, LEFT, item) AS SELECT item, toUInt32(idx + 1) AS idx1 FROM catalog;

-- Each order's known items once, its first line and time, and its line counts for META.
-- on each shard
CREATE TABLE baskets_local ENGINE = Memory AS
SELECT min(line) AS bid, customer, min(at_ms) AS at_ms, arrayDistinct(groupArrayIf(idx1, idx1 > 0)) AS items,
       countIf(idx1 > 0) AS known, countIf(idx1 = 0) AS unknown
FROM (SELECT basket, customer, at_ms, line, joinGet('catalog_ids', 'idx1', item) AS idx1 FROM orders_local WHERE at_ms < {{until_ms}})
GROUP BY basket, customer;

-- on each shard
CREATE TABLE line_counts_local ENGINE = Memory AS
SELECT (SELECT count() FROM orders_local) AS lines, sum(known) AS lines_used, sum(unknown) AS unknown_items FROM baskets_local;

CREATE TABLE line_counts AS line_counts_local ENGINE = Distributed(emma, default, line_counts_local);

-- Per customer, every (item, time, bid) of its baskets sorted: an item's first element is the
-- customer's first buy of it (arrayEnumerateUniq = 1); every later element of the item carries
-- the time since the element before it, which is the gap to the previous distinct time on the
-- first (lowest bid) element of each later time, and 0 on the others of that time.
-- on each shard
CREATE TABLE basket_items_local ENGINE = Memory AS
SELECT cid, t.3 AS bid, toUInt32(t.1 - 1) AS item, t.2 AS at_ms, toUInt8(u = 1) AS first_buy, if(u > 1, d, 0) AS gap
FROM (
  SELECT min(bid) AS cid, arraySort(groupArray((item, at_ms, bid))) AS s,
         arrayEnumerateUniq(arrayMap(x -> x.1, s)) AS us, arrayDifference(arrayMap(x -> x.2, s)) AS ds
  FROM baskets_local ARRAY JOIN items AS item
  GROUP BY customer
) ARRAY JOIN s AS t, us AS u, ds AS d;

-- on each shard
DROP TABLE baskets_local;

CREATE TABLE basket_items AS basket_items_local ENGINE = Distributed(emma, default, basket_items_local, cid);
