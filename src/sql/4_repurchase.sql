-- Repurchase: per customer and item, the intervals between distinct purchase times; per item
-- the buyers, the customers who bought again, and the median of the first 256 intervals in
-- log order (the element at index n/2 of the sorted sample, as the native counter takes it).
-- Only the (customer, item) pairs bought at two or more times have intervals: the window
-- functions run on those alone.
CREATE TABLE buys AS
SELECT cid, item, MIN(at_ms) < MAX(at_ms) AS again FROM basket_items GROUP BY cid, item;

WITH times AS (
  SELECT i.cid, i.item, i.at_ms, MIN(i.bid) AS line
  FROM basket_items i JOIN buys u ON u.cid = i.cid AND u.item = i.item AND u.again
  GROUP BY i.cid, i.item, i.at_ms
), gaps AS (
  SELECT item, line, at_ms - LAG(at_ms) OVER (PARTITION BY cid, item ORDER BY at_ms) AS gap FROM times
), firsts AS (
  SELECT item, gap, ROW_NUMBER() OVER (PARTITION BY item ORDER BY line) AS nth FROM gaps WHERE gap IS NOT NULL
), sample AS (
  SELECT item, gap, ROW_NUMBER() OVER (PARTITION BY item ORDER BY gap) AS r, COUNT(*) OVER (PARTITION BY item) AS n
  FROM firsts WHERE nth <= 256
), per_item AS (
  SELECT item, COUNT(*) AS buyers, COUNT(*) FILTER (WHERE again) AS rebuyers FROM buys GROUP BY item
)
SELECT c.item, p.buyers, p.rebuyers, s.gap AS median_ms
FROM per_item p
JOIN sample s ON s.item = p.item AND s.r = FLOOR(s.n / 2.0) + 1
JOIN catalog c ON c.idx = p.item;
