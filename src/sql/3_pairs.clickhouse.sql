-- ClickHouse 18.16: co-purchase pairs from each small basket's sorted array of item numbers,
-- every item with the items after it (arraySlice), each pair one UInt64 key a * 2^32 + b
-- grouped alone on each shard; the shards' counts added over a Distributed table.
--
-- A pair's customers are counted as the native counter counts them, only up to k:
-- uniqUpTo(k)(cid) keeps at most k customer numbers per pair (exact for numbers; k + 1 means
-- "more than k"). A customer's baskets are all on one shard, so the shards' capped counts add up
-- to at least k exactly when the pair has at least k customers, and to the exact count below k.
-- (3_pairs.duckdb.sql bounds the count instead and counts the pairs left open exactly; here the
-- bounds cost as much CPU as uniqUpTo in the pass over the pairs, and the open pairs a second
-- pass: src/tools/bench/RESULTS.md.)

-- Each basket's items sorted, its size and customer (5_stats counts baskets from this). A Log
-- table, read back in blocks of max_block_size baskets: a Memory table keeps the one block the
-- grouping made, and the pairs of a shard's 750,000 baskets at once at 100x (each basket's
-- array copied once per element by ARRAY JOIN) passed the memory limit.
-- on each shard
CREATE TABLE basket_lists_local ENGINE = Log AS
SELECT bid, any(cid) AS cid, count() AS n, arraySort(groupArray(item)) AS e FROM basket_items_local GROUP BY bid;

CREATE TABLE basket_lists AS basket_lists_local ENGINE = Distributed(emma, default, basket_lists_local);

-- (The first item shifted once per element, not per pair; two key columns instead of one
-- packed key cost three times as much at 10x.)
-- on each shard
CREATE TABLE pair_counts_local ENGINE = Memory AS
SELECT xs + y AS pk, count() AS baskets, uniqUpTo({{k}})(cid) AS customers
FROM (SELECT cid, xs, arrayJoin(arraySlice(e, i + 1)) AS y
      FROM (SELECT cid, e, arrayMap(v -> bitShiftLeft(toUInt64(v), 32), e) AS es FROM basket_lists_local WHERE n <= {{max_basket}})
      ARRAY JOIN es AS xs, arrayEnumerate(e) AS i)
GROUP BY pk
SETTINGS max_block_size = 8192;

CREATE TABLE pair_counts_all AS pair_counts_local ENGINE = Distributed(emma, default, pair_counts_local);

CREATE TABLE pair_counts ENGINE = Memory AS
SELECT pk, sum(baskets) AS baskets, sum(customers) AS customers FROM pair_counts_all GROUP BY pk;

-- `customers` is exact below k and at least k otherwise (so `pairs_below_k` is exact,
-- 5_stats.clickhouse.sql).
SELECT item_a, item AS item_b, baskets
FROM (
  SELECT item_a, b_idx AS idx, baskets
  FROM (
    SELECT item AS item_a, b_idx, baskets
    FROM (SELECT toUInt32(bitShiftRight(pk, 32)) AS idx, toUInt32(bitAnd(pk, 4294967295)) AS b_idx, baskets FROM pair_counts WHERE customers >= {{k}}) ANY INNER JOIN catalog USING idx
  )
) ANY INNER JOIN catalog USING idx;
