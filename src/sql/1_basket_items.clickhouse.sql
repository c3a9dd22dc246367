-- ClickHouse 18.16: each order's known items once, with the order's earliest time and first
-- line, built on each shard from its own orders (a customer's orders are all on one shard).
-- on each shard
CREATE TABLE basket_items_local ENGINE = MergeTree ORDER BY (customer, basket) AS
SELECT basket, customer, first_at AS at_ms, first_line AS line, idx AS item
FROM (
  SELECT basket, customer, first_at, first_line, item_id
  FROM (
    SELECT basket, customer, min(at_ms) AS first_at, min(line) AS first_line, groupUniqArray(item) AS items
    FROM orders_local WHERE at_ms < {{until_ms}} GROUP BY basket, customer
  ) ARRAY JOIN items AS item_id
) ANY INNER JOIN (SELECT item AS item_id, idx FROM catalog) USING item_id;

CREATE TABLE basket_items AS basket_items_local ENGINE = Distributed(emma, default, basket_items_local, cityHash64(customer));
