#include "protocol/json_text.h"

#include "protocol/internal/json_reader.h"

namespace echelon::json {

std::string MinifyJson(std::string_view json) {
  // Through the lease's warm buffer: writing the result once into a new
  // string costs half the fresh-page touches of zero-filling one first.
  internal::ParserLease parser;
  return std::string(parser.Minify(json));
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
