#include "common/gzip.h"

#include <zlib.h>

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace echelon {
namespace {

constexpr int kGzipOrZlibWindow = 15 + 32;  // auto-detect gzip or zlib header
constexpr int kGzipWindow = 15 + 16;        // write a gzip header
constexpr size_t kStep = 256 * 1024;

}  // namespace

absl::StatusOr<std::string> GunzipBounded(std::string_view compressed, size_t max_output) {
  z_stream stream{};
  if (inflateInit2(&stream, kGzipOrZlibWindow) != Z_OK) {
    return absl::InternalError("inflateInit2 failed");
  }
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());

  std::string out;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (out.size() >= max_output) {
      inflateEnd(&stream);
      return absl::ResourceExhaustedError(
          absl::StrCat("decompressed body exceeds the limit of ", max_output, " bytes"));
    }
    // Grow by a bounded step, never past max_output + 1 (one byte over the
    // bound is enough to know the bound is exceeded).
    const size_t old_size = out.size();
    const size_t grow = std::min(kStep, max_output + 1 - old_size);
    out.resize(old_size + grow);
    stream.next_out = reinterpret_cast<Bytef*>(out.data() + old_size);
    stream.avail_out = static_cast<uInt>(grow);
    rc = inflate(&stream, Z_NO_FLUSH);
    out.resize(old_size + (grow - stream.avail_out));
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK && !(rc == Z_BUF_ERROR && stream.avail_in > 0)) {
      inflateEnd(&stream);
      return absl::InvalidArgumentError(
          absl::StrCat("invalid gzip body: ", stream.msg ? stream.msg : "truncated stream"));
    }
  }
  inflateEnd(&stream);
  if (out.size() > max_output) {
    return absl::ResourceExhaustedError(
        absl::StrCat("decompressed body exceeds the limit of ", max_output, " bytes"));
  }
  return out;
}

std::string GzipCompress(std::string_view data, int level) {
  z_stream stream{};
  deflateInit2(&stream, level, Z_DEFLATED, kGzipWindow, 8, Z_DEFAULT_STRATEGY);
  std::string out;
  out.resize(deflateBound(&stream, data.size()) + 32);
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

bool LooksGzipped(std::string_view data) {
  return data.size() >= 2 && static_cast<unsigned char>(data[0]) == 0x1f &&
         static_cast<unsigned char>(data[1]) == 0x8b;
}

}  // namespace echelon
