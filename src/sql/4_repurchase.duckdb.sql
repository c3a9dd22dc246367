-- DuckDB: 4_repurchase.sql's figures from the columns 1_basket_items.duckdb.sql sorted out
-- per customer and item: a gap on a row is an interval between two distinct purchase times
-- of one customer and item, and the row is the later time's first basket (its line in log
-- order). Buyers: one first_buy row per customer and item; rebuyers: customers with a gap.
WITH gaps AS (
  SELECT cid, item, bid AS line, gap FROM basket_items WHERE gap IS NOT NULL
), firsts AS (
  SELECT item, gap, ROW_NUMBER() OVER (PARTITION BY item ORDER BY line) AS nth FROM gaps
), sample AS (
  SELECT item, gap, ROW_NUMBER() OVER (PARTITION BY item ORDER BY gap) AS r, COUNT(*) OVER (PARTITION BY item) AS n
  FROM firsts WHERE nth <= 256
), buyers AS (
  SELECT item, count_if(first_buy) AS buyers FROM basket_items GROUP BY item
), rebuyers AS (
  SELECT item, COUNT(DISTINCT cid) AS rebuyers FROM gaps GROUP BY item
)
SELECT c.item, b.buyers, r.rebuyers, s.gap AS median_ms
FROM buyers b
JOIN rebuyers r ON r.item = b.item
JOIN sample s ON s.item = b.item AND s.r = FLOOR(s.n / 2.0) + 1
JOIN catalog c ON c.idx = b.item;
