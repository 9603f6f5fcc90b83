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

size_t CountArrayElements(std::string_view array) {
  size_t count = 0;
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < array.size(); ++i) {
    const char c = array[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
      if (depth == 1 && count == 0) count = 1;
    } else if (c == '[' || c == '{') {
      if (depth++ == 1 && count == 0) count = 1;
    } else if (c == ']' || c == '}') --depth;
    else if (c == ',' && depth == 1) ++count;
    else if (depth == 1 && count == 0) count = 1;
  }
  return count;
}

}  // namespace echelon::json
