-- Co-purchase pairs: every pair of items bought in one basket of at most `max_basket` items
-- (wholesale orders add no pairs), with the baskets that hold it, published only when at
-- least k distinct customers bought both (README: the privacy threshold).
--
-- Like the native counter, which stops telling a pair's customers apart once it has seen k,
-- the SQL needs no exact customer count for most pairs, only "at least k or not": one pass
-- over every (pair, basket) counts, per pair, the baskets (at most that many customers) and
-- the baskets that are a customer's first small basket with either item (at least that many
-- customers: one customer's first basket with a and first basket with b can only both hold
-- the pair if they are the same basket). Only the pairs these two bounds leave open are
-- counted exactly, from the baskets that are no customer's first with either item.

-- The items of small baskets, each with the customer's first small basket holding it (and
-- whether it is this one: a one-byte column keeps the pass over every pair lean).
CREATE TABLE small_items AS
SELECT bid, cid, item, first_bid, bid = first_bid AS first_buy
FROM (SELECT i.bid, i.cid, i.item, MIN(i.bid) OVER (PARTITION BY i.cid, i.item) AS first_bid
      FROM basket_items i
      JOIN (SELECT bid FROM basket_items GROUP BY bid HAVING COUNT(*) <= {{max_basket}}) s ON s.bid = i.bid) f;

CREATE TABLE pair_bounds AS
SELECT x.item AS a, y.item AS b, COUNT(*) AS baskets,
       COUNT(*) FILTER (WHERE x.first_buy OR y.first_buy) AS customers_min
FROM small_items x JOIN small_items y ON y.bid = x.bid AND x.item < y.item
GROUP BY x.item, y.item;

-- The open pairs: the customers the lower bound missed are those whose first basket with a
-- lacks b and whose first basket with b lacks a; each is counted once.
CREATE TABLE pair_counts AS
SELECT p.a, p.b, p.baskets, p.customers_min + COALESCE(m.missed, 0) AS customers
FROM pair_bounds p
LEFT JOIN (
  SELECT n.a, n.b, COUNT(*) AS missed
  FROM (SELECT DISTINCT x.item AS a, y.item AS b, x.cid, x.first_bid AS first_a, y.first_bid AS first_b
        FROM small_items x
        JOIN small_items y ON y.bid = x.bid AND x.item < y.item
        JOIN pair_bounds o ON o.a = x.item AND o.b = y.item AND o.customers_min < {{k}} AND o.baskets >= {{k}}
        WHERE NOT x.first_buy AND NOT y.first_buy) n
  WHERE NOT EXISTS (SELECT 1 FROM small_items s WHERE s.bid = n.first_a AND s.item = n.b)
    AND NOT EXISTS (SELECT 1 FROM small_items s WHERE s.bid = n.first_b AND s.item = n.a)
  GROUP BY n.a, n.b
) m ON m.a = p.a AND m.b = p.b;

DROP TABLE pair_bounds;

DROP TABLE small_items;

-- `customers` is exact for the open pairs; for the others a bound on the same side of k as
-- the exact count (so `pairs_below_k` is exact, 5_stats.sql).
SELECT ca.item AS item_a, cb.item AS item_b, p.baskets
FROM pair_counts p
JOIN catalog ca ON ca.idx = p.a
JOIN catalog cb ON cb.idx = p.b
WHERE p.customers >= {{k}};
