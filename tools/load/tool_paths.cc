#include "tools/load/tool_paths.h"

#include <filesystem>
#include <system_error>

namespace echelon::load {

std::string DefaultServerBinary(const char* argv0) {
  std::error_code error;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) self = std::filesystem::absolute(argv0, error);
  // <build>/tools/<tool>/<tool>: three levels up is the build tree.
  return (self.parent_path().parent_path().parent_path() / "app" / "echelon-server").string();
}

}  // namespace echelon::load
