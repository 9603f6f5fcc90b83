// Operations on JSON text that leave its values byte for byte as they are (no
// decoding, so numbers and strings keep their exact spelling). Used where
// JSON is passed through rather than read: push frames, SSE event data, the
// C++ client's chunk slices.
//
//   std::string compact = json::MinifyJson("[ {\"a\": 1.50} ]");  // [{"a":1.50}]
#pragma once

#include <string>
#include <string_view>

namespace echelon::json {

// Removes the whitespace outside strings. Meant for text that is valid JSON
// (already validated, or about to be by the receiver); text whose strings do
// not close comes back unchanged.
std::string MinifyJson(std::string_view json);

// How many elements a valid, minified JSON array holds (a chunk's
// frames_json), counted without parsing the elements.
size_t CountArrayElements(std::string_view array);

}  // namespace echelon::json
