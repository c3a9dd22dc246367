-- DuckDB: 3_pairs.sql's counts (same bounds, same exact count of the pairs they leave open)
-- without its self-join on the basket, which at 100x built a hash table of 31 M basket items
-- and probed it into 493 M (pair, basket) rows. Here each small basket is one sorted list of
-- its items, and its pairs come from the list itself (every item with the items after it),
-- each as one integer, grouped by that integer alone:
--   element  item * 2 + first_buy        (first_buy: 1_basket_items.duckdb.sql)
--   pair key a * 2^31 + b, flag: a or b is the customer's first basket with it (x | y odd)
-- The lower bound counts the rows with the flag: a customer's first basket with a and first
-- basket with b can both hold the pair only if they are the same basket, so no customer is
-- counted twice (baskets ordered by time, then bid; a first basket above max_basket holds no
-- pair, which only makes the bound lower). The upper bound counts all rows.

CREATE TABLE small_baskets AS
SELECT bid, cid, list_sort(list(item * 2 + first_buy::INT)) AS e FROM basket_items GROUP BY bid, cid HAVING COUNT(*) <= {{max_basket}};

-- Both bounds from one grouping by pair (a grouping by pair and flag, then by pair, cost 20%
-- more at 10x: twice the groups, and a second pass).
CREATE TABLE pair_bounds AS
SELECT x // 2 * 2147483648 + y // 2 AS pk, COUNT(*) AS baskets, count_if(((x | y) & 1) = 1) AS customers_min
FROM (SELECT x, unnest(t) AS y
      FROM (SELECT unnest(e) AS x, unnest(list_transform(range(1, len(e) + 1), i -> e[i + 1:])) AS t FROM small_baskets) s) p
GROUP BY pk;

-- The open pairs (at least k baskets, fewer than k customers by the lower bound): the
-- customers the bound missed bought the pair only in baskets where neither item was a first
-- buy. Those (pair, customer) from the baskets' non-first items ... (the open pairs as a
-- table of their own first: with the condition inline DuckDB hashed the 8 M generated rows at
-- 10x and probed the 45 k open pairs into them, 30% slower)
CREATE TABLE open_pairs AS
SELECT pk FROM pair_bounds WHERE customers_min < {{k}} AND baskets >= {{k}};

CREATE TABLE candidates AS
SELECT DISTINCT pk, cid, pk // 2147483648 AS a, pk % 2147483648 AS b FROM (
  SELECT cid, x * 2147483648 + unnest(t) AS pk
  FROM (SELECT cid, unnest(r) AS x, unnest(list_transform(range(1, len(r) + 1), i -> r[i + 1:])) AS t
        FROM (SELECT cid, [y // 2 FOR y IN e IF y % 2 = 0] AS r FROM small_baskets) s WHERE len(r) >= 2) u
) v WHERE pk IN (SELECT pk FROM open_pairs);

DROP TABLE open_pairs;

-- ... less those whose first basket with a holds b or whose first basket with b holds a
-- (then the bound counted them).
CREATE TABLE missed AS
SELECT pk, COUNT(*) AS missed FROM (
  SELECT n.pk, n.cid
  FROM (SELECT pk, cid, a AS item, b AS other FROM candidates UNION ALL SELECT pk, cid, b, a FROM candidates) n
  JOIN basket_items f ON f.cid = n.cid AND f.item = n.item AND f.first_buy
  LEFT JOIN small_baskets s ON s.bid = f.bid
  GROUP BY n.pk, n.cid
  HAVING NOT bool_or(COALESCE(list_contains(s.e, n.other * 2) OR list_contains(s.e, n.other * 2 + 1), false))
) m GROUP BY pk;

CREATE TABLE pair_counts AS
SELECT p.pk // 2147483648 AS a, p.pk % 2147483648 AS b, p.baskets, p.customers_min + COALESCE(m.missed, 0) AS customers
FROM pair_bounds p LEFT JOIN missed m ON m.pk = p.pk;

DROP TABLE missed;

DROP TABLE candidates;

DROP TABLE pair_bounds;

DROP TABLE small_baskets;

-- `customers` is exact for the open pairs; for the others a bound on the same side of k as
-- the exact count (so `pairs_below_k` is exact, 5_stats.sql).
SELECT ca.item AS item_a, cb.item AS item_b, p.baskets
FROM pair_counts p
JOIN catalog ca ON ca.idx = p.a
JOIN catalog cb ON cb.idx = p.b
WHERE p.customers >= {{k}};
