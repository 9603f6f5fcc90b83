#include "protocol/json_text.h"

#include <simdjson.h>

namespace echelon::json {

std::string MinifyJson(std::string_view json) {
  std::string out(json.size(), '\0');
  size_t length = 0;
  // simdjson's minify fails only on unbalanced quotes: keep such text as is.
  if (simdjson::minify(json.data(), json.size(), out.data(), length) != simdjson::SUCCESS) return std::string(json);
  out.resize(length);
  return out;
}

}  // namespace echelon::json
