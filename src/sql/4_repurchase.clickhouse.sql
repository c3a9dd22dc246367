-- ClickHouse 18.16: 4_repurchase.duckdb.sql's figures from the columns 1_basket_items.clickhouse.sql
-- sorted out per customer and item: a row with a gap (> 0) is an interval between two distinct
-- purchase times of one customer and item, on the later time's first basket (its line in log
-- order). Buyers: the first_buy rows; rebuyers: customers with a gap. Partial counts on each
-- shard, merged by the initiator (a customer is on one shard only).
-- The first 256 gaps in log order, sorted; the element at index n/2 (0-based).
SELECT item, buyers, rebuyers, median_ms
FROM (
  SELECT idx, buyers, rebuyers, median_ms
  FROM (
    SELECT item AS idx, arraySort(arrayMap(t -> t.2, arraySlice(arraySort(groupArray((bid, gap))), 1, 256))) AS sample,
           sample[intDiv(length(sample), 2) + 1] AS median_ms, uniqExact(cid) AS rebuyers
    FROM basket_items WHERE gap > 0 GROUP BY item
  ) ANY INNER JOIN (SELECT item AS idx, countIf(first_buy = 1) AS buyers FROM basket_items GROUP BY item) USING idx
) ANY INNER JOIN catalog USING idx;
