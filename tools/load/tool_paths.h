// Where the load tools find the server they launch: by default the
// echelon-server built next to them in the same build tree
// (<build>/tools/<tool>/<tool> -> <build>/app/echelon-server).
#pragma once

#include <string>

namespace echelon::load {

std::string DefaultServerBinary(const char* argv0);

}  // namespace echelon::load
