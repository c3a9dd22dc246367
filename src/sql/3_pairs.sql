-- Every pair of items bought in one basket of at most `max_basket` items (wholesale orders
-- add no pairs), with the baskets and the distinct customers that hold it.
CREATE TABLE pair_counts AS
SELECT a.item AS a, b.item AS b, COUNT(*) AS baskets, COUNT(DISTINCT a.customer) AS customers
FROM basket_items a
JOIN (SELECT basket, customer FROM basket_items GROUP BY basket, customer HAVING COUNT(*) <= {{max_basket}}) s
  ON s.basket = a.basket AND s.customer = a.customer
JOIN basket_items b ON b.basket = a.basket AND b.customer = a.customer AND a.item < b.item
GROUP BY a.item, b.item;

-- Published only when at least k distinct customers bought both (README: the privacy threshold).
SELECT ca.item AS item_a, cb.item AS item_b, p.baskets
FROM pair_counts p
JOIN catalog ca ON ca.idx = p.a
JOIN catalog cb ON cb.idx = p.b
WHERE p.customers >= {{k}};
