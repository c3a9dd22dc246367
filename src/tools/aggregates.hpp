// The bundle's statistics as counted by a database engine (src/sql/, run by
// src/tools/sql/count.mjs on DuckDB, PostgreSQL or ClickHouse), read back into the model the
// bundle writer takes. The scoring of neighbours and repurchase figures stays in C++, shared
// with the native counter (core/model_builder), so both give the same bundle.
//
// A folder of CSV files with a header row each:
//   aggregates.json  {"engine", "until_ms", "k", "max_basket"}
//   popularity.csv   item,baskets,d7,d30,d90      distinct baskets per item (all time and windows)
//   pairs.csv        item_a,item_b,baskets        pairs bought by >= k distinct customers
//   repurchase.csv   item,buyers,rebuyers,median_ms
//   stats.csv        lines,lines_used,unknown_items,baskets,large_baskets,customers,pairs_seen,pairs_below_k
#pragma once
#include <string>
#include <vector>

#include "core/model_builder.hpp"

namespace emma_tools {

struct Aggregates {
  emma::ModelInput model;
  emma::BuildStats stats;
  emma::BuildOptions options;  // until, k, max_basket as counted
  std::string engine;
};

Aggregates read_aggregates(const std::string& dir, const std::vector<emma::ItemInput>& items, emma::BuildOptions options);

}  // namespace emma_tools
