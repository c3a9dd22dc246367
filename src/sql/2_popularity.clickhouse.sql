-- ClickHouse 18.16: distinct baskets per item over the Distributed table (partial counts on
-- each shard, merged by the initiator).
SELECT item, baskets, d7, d30, d90
FROM (
  SELECT item AS idx, count() AS baskets,
         countIf(at_ms >= {{until_ms}} - 7 * 86400000) AS d7,
         countIf(at_ms >= {{until_ms}} - 30 * 86400000) AS d30,
         countIf(at_ms >= {{until_ms}} - 90 * 86400000) AS d90
  FROM basket_items GROUP BY item
) ANY INNER JOIN catalog USING idx;
