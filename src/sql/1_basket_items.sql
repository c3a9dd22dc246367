-- Baskets as the native counter forms them: the lines of one order (basket id and customer)
-- before `until`; a basket's time is its earliest line, its first line its place in the log.
CREATE TABLE baskets AS
SELECT basket, customer, MIN(at_ms) AS at_ms, MIN(line) AS line
FROM orders
WHERE at_ms < {{until_ms}}
GROUP BY basket, customer;

-- Each item the catalog knows, once per basket.
CREATE TABLE basket_items AS
SELECT DISTINCT b.basket, b.customer, b.at_ms, b.line, c.idx AS item
FROM orders o
JOIN catalog c ON c.item = o.item
JOIN baskets b ON b.basket = o.basket AND b.customer = o.customer
WHERE o.at_ms < {{until_ms}};
