// emma-model --offers: the shop's current promotions, from a JSON array (or {"offers": [...]})
// or a CSV file with a header row (id,title,text,url,image,from,until,categories,brands,
// segments,min_basket,priority; lists separated by "|"). Checked by the core (offers.hpp),
// with errors naming the file, row and field.
#pragma once
#include <string>

#include "core/json_input.hpp"

namespace emma_tools {

emma::json read_offers_file(const std::string& path);

}  // namespace emma_tools
