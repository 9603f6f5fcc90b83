// libFuzzer target for the frame codec: any byte string must come back as a
// Frame or as InvalidArgument, never as a crash or a hang. For accepted input
// the rendered JSON must parse again, and one more round trip must change
// nothing (render(parse(out)) == out after the first normalisation: numbers
// re-rendered, unknown keys sorted, a whole-number tick in `unknown` typed).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "protocol/frame_codec.h"

namespace {

std::string Render(const echelon::json::Frame& frame) {
  std::string out;
  echelon::json::AppendFrameJson(frame, out);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  const absl::StatusOr<echelon::json::Frame> frame = echelon::json::ParseFrameJson(json);
  if (!frame.ok()) {
    if (frame.status().code() != absl::StatusCode::kInvalidArgument) std::abort();
    return 0;
  }
  const std::string first = Render(*frame);
  const absl::StatusOr<echelon::json::Frame> reparsed = echelon::json::ParseFrameJson(first);
  if (!reparsed.ok()) std::abort();
  const std::string second = Render(*reparsed);
  const absl::StatusOr<echelon::json::Frame> again = echelon::json::ParseFrameJson(second);
  if (!again.ok() || Render(*again) != second) std::abort();
  return 0;
}
