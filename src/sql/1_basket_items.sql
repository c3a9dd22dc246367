-- Baskets as the native counter forms them: the lines of one order (basket id and customer)
-- before `until`; a basket's time is its earliest line, its first line its place in the log
-- and its number (bid: lines are unique). Customers are numbered too (cid), so that every
-- later step groups and joins integers, not strings.
CREATE TABLE baskets AS
SELECT basket, customer, MIN(at_ms) AS at_ms, MIN(line) AS bid
FROM orders
WHERE at_ms < {{until_ms}}
GROUP BY basket, customer;

CREATE TABLE customers AS
SELECT customer, ROW_NUMBER() OVER () AS cid FROM (SELECT DISTINCT customer FROM baskets) c;

-- Each item the catalog knows, once per basket.
CREATE TABLE basket_items AS
SELECT DISTINCT b.bid, k.cid, b.at_ms, c.idx AS item
FROM orders o
JOIN catalog c ON c.item = o.item
JOIN baskets b ON b.basket = o.basket AND b.customer = o.customer
JOIN customers k ON k.customer = b.customer
WHERE o.at_ms < {{until_ms}};

-- The lines as counted for the bundle's META (5_stats.sql); then the orders, their basket and
-- customer names are no longer needed, and their memory goes to the pair counting.
CREATE TABLE line_counts AS
SELECT COUNT(*) AS lines,
       COUNT(*) FILTER (WHERE o.at_ms < {{until_ms}} AND c.item IS NOT NULL) AS lines_used,
       COUNT(*) FILTER (WHERE o.at_ms < {{until_ms}} AND c.item IS NULL) AS unknown_items
FROM orders o LEFT JOIN catalog c ON c.item = o.item;

DROP TABLE orders;

DROP TABLE customers;

DROP TABLE baskets;
