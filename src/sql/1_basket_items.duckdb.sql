-- DuckDB: the same tables as 1_basket_items.sql (baskets as the native counter forms them:
-- the lines of one order before `until`, a basket's time its earliest line, its number bid
-- its first line; customers numbered, cid), built from one grouping of the lines instead of
-- a join of every line back to its basket on two strings, plus per (customer, item) what
-- 3_pairs and 4_repurchase need, from one sort of each customer's items:
--   first_buy  the customer's first basket with the item (baskets in (time, bid) order)
--   gap        time since the customer last bought the item, on each later distinct time
-- (windows partitioned by customer and item are slow on DuckDB: tens of millions of tiny
-- partitions at 100x; one partition per customer, ordered by item, is not).

-- Each order's known items as a list (duplicates removed below: list(DISTINCT) per group
-- costs 3.5 times the plain list at 100x), its first line and time, and the line
-- counts for the bundle's META.
CREATE TABLE baskets AS
SELECT MIN(o.line) AS bid, o.customer, MIN(o.at_ms) AS at_ms, list(c.idx) AS items,
       COUNT(c.idx) AS known, COUNT(*) - COUNT(c.idx) AS unknown
FROM orders o LEFT JOIN catalog c ON c.item = o.item
WHERE o.at_ms < {{until_ms}}
GROUP BY o.basket, o.customer;

CREATE TABLE line_counts AS
SELECT (SELECT COUNT(*) FROM orders) AS lines, SUM(known) AS lines_used, SUM(unknown) AS unknown_items FROM baskets;

-- `orders` is a view (the runner's, over the Parquet file or the CSV file's table).
DROP VIEW orders;

DROP TABLE IF EXISTS orders_loaded;

-- (No column for the basket's size: 3_pairs counts it when it groups the items by basket, and
-- every column here is carried through the window's sort: one less cost a quarter of it at 10x.
-- An item twice in one order meets its copy in the sort, next to it, and the copy is dropped
-- there: list_distinct on every basket's list cost 2.6 s of CPU at 100x for 2% duplicates.)
CREATE TABLE basket_items AS
SELECT bid, cid, at_ms, item,
       item IS DISTINCT FROM LAG(item) OVER w AS first_buy,
       CASE WHEN item = LAG(item) OVER w AND at_ms > LAG(at_ms) OVER w THEN at_ms - LAG(at_ms) OVER w END AS gap
FROM (SELECT bid, cid, at_ms, unnest(items) AS item
      FROM (SELECT bid, MIN(bid) OVER (PARTITION BY customer) AS cid, at_ms, items
            FROM baskets WHERE known > 0) b) i
WINDOW w AS (PARTITION BY cid ORDER BY item, at_ms, bid)
QUALIFY item IS DISTINCT FROM LAG(item) OVER w OR bid IS DISTINCT FROM LAG(bid) OVER w;

DROP TABLE baskets;
