-- Distinct baskets per item, all time and in the 7-, 30- and 90-day windows ending at `until`.
SELECT c.item,
       COUNT(*) AS baskets,
       COUNT(*) FILTER (WHERE bi.at_ms >= {{until_ms}} - 7 * CAST(86400000 AS BIGINT)) AS d7,
       COUNT(*) FILTER (WHERE bi.at_ms >= {{until_ms}} - 30 * CAST(86400000 AS BIGINT)) AS d30,
       COUNT(*) FILTER (WHERE bi.at_ms >= {{until_ms}} - 90 * CAST(86400000 AS BIGINT)) AS d90
FROM basket_items bi
JOIN catalog c ON c.idx = bi.item
GROUP BY c.item;
