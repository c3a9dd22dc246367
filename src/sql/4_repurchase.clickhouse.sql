-- ClickHouse 18.16 (no window functions): per customer and item, the distinct purchase times
-- (each with its first line) as a sorted array, and the gaps between them, on each shard.
-- on each shard
CREATE TABLE gaps_local ENGINE = MergeTree ORDER BY item AS
SELECT customer, item, g.1 AS gap, g.2 AS line
FROM (
  SELECT customer, item,
         arraySort(groupArray((at_ms, line))) AS all_times,
         arrayFilter((t, i) -> i = 1 OR t.1 != all_times[i - 1].1, all_times, arrayEnumerate(all_times)) AS times,
         arrayMap(i -> (times[i + 2].1 - times[i + 1].1, times[i + 2].2), range(toUInt64(length(times) - 1))) AS gaps
  FROM basket_items_local GROUP BY customer, item
) ARRAY JOIN gaps AS g;

-- on each shard
CREATE TABLE buyers_local ENGINE = MergeTree ORDER BY item AS
SELECT item, count() AS buyer_count, countIf(n > 1) AS rebuyer_count
FROM (SELECT customer, item, uniqExact(at_ms) AS n FROM basket_items_local GROUP BY customer, item) GROUP BY item;

CREATE TABLE gaps AS gaps_local ENGINE = Distributed(emma, default, gaps_local, cityHash64(customer));

CREATE TABLE buyers AS buyers_local ENGINE = Distributed(emma, default, buyers_local, item);

-- The first 256 gaps in log order, sorted; the element at index n/2 (0-based).
SELECT item, buyers, rebuyers, median_ms
FROM (
  SELECT idx, buyers, rebuyers, median_ms
  FROM (
    SELECT item AS idx, arraySort(arrayMap(t -> t.2, arraySlice(arraySort(groupArray((line, gap))), 1, 256))) AS sample,
           sample[intDiv(length(sample), 2) + 1] AS median_ms
    FROM gaps GROUP BY item
  ) ANY INNER JOIN (SELECT item AS idx, sum(buyer_count) AS buyers, sum(rebuyer_count) AS rebuyers FROM buyers GROUP BY item) USING idx
) ANY INNER JOIN catalog USING idx;
