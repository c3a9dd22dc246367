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
