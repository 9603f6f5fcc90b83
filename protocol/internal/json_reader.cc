#include "protocol/internal/json_reader.h"

#include <charconv>
#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

#include "common/status_util.h"
#include "protocol/json_limits.h"

namespace echelon::json::internal {
namespace {

// Enough for the few requests that parse at the same time on our 2-4 cores.
constexpr size_t kMaxPooledParsers = 4;
// Parsers that grew beyond this input size are freed rather than kept: this
// covers 1-2 MB chunks (pretty-printed too) and bounds what the pool holds to
// about 4 x 4 MB x 20 bytes of allocations, of which a third or so is touched.
constexpr size_t kMaxPooledCapacity = size_t{4} << 20;
// Capacity the parsers start with; they grow to each input as needed, keeping
// the depth limit set here.
constexpr size_t kInitialCapacity = 4096;

}  // namespace

struct ParserLease::Parsers {
  // The parsers keep the depth given here when they grow. Should this small
  // allocation fail, the first parse allocates again, with simdjson's default
  // depth (1024, still bounded), or reports MEMALLOC if memory is still short.
  Parsers() {
    if (dom.allocate(kInitialCapacity, kMaxDocumentNestingDepth) != simdjson::SUCCESS) return;
    if (ondemand.allocate(kInitialCapacity, kMaxDocumentNestingDepth) != simdjson::SUCCESS) return;
  }

  simdjson::dom::parser dom;
  simdjson::ondemand::parser ondemand;
  // A copy of the input with SIMDJSON_PADDING readable bytes after it, as
  // on-demand parsing needs, or Minify's output: reused, so its pages stay warm.
  std::string padded;

  bool WorthKeeping() const {
    return dom.capacity() <= kMaxPooledCapacity && ondemand.capacity() <= kMaxPooledCapacity &&
           padded.capacity() <= kMaxPooledCapacity + simdjson::SIMDJSON_PADDING;
  }
};

namespace {

class ParserPool {
 public:
  static ParserPool& Get() {
    static ParserPool* pool = new ParserPool();  // never destroyed: leases may outlive static destructors
    return *pool;
  }

  std::unique_ptr<ParserLease::Parsers> Take() {
    {
      std::lock_guard lock(mu_);
      if (!free_.empty()) {
        auto parsers = std::move(free_.back());
        free_.pop_back();
        return parsers;
      }
    }
    return std::make_unique<ParserLease::Parsers>();
  }

  void Give(std::unique_ptr<ParserLease::Parsers> parsers) {
    if (!parsers->WorthKeeping()) return;
    std::lock_guard lock(mu_);
    if (free_.size() < kMaxPooledParsers) free_.push_back(std::move(parsers));
  }

 private:
  std::mutex mu_;
  std::vector<std::unique_ptr<ParserLease::Parsers>> free_;
};

bool IsNumberChar(char c) {
  return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

// True for an integer literal (digits, optional leading '-') that fits
// neither int64 nor uint64: simdjson rejects those, Python accepts them.
bool IsBigInteger(std::string_view token) {
  const bool negative = !token.empty() && token.front() == '-';
  const std::string_view digits = token.substr(negative ? 1 : 0);
  if (digits.empty()) return false;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
  }
  const char* end = token.data() + token.size();
  if (negative) {
    int64_t value;
    return std::from_chars(token.data(), end, value).ec != std::errc();
  }
  uint64_t value;
  return std::from_chars(token.data(), end, value).ec != std::errc();
}

// Copy of `json` with ".0" after each integer literal too big for 64 bits,
// so that simdjson reads it as a double. Only used after simdjson rejected a
// number, so the common path never pays for this scan.
std::string WidenBigIntegers(std::string_view json) {
  std::string out;
  out.reserve(json.size() + 64);
  size_t i = 0;
  while (i < json.size()) {
    const char c = json[i];
    if (c == '"') {  // copy the whole string, escapes included
      size_t j = i + 1;
      while (j < json.size() && json[j] != '"') j += json[j] == '\\' ? 2 : 1;
      j = std::min(j + 1, json.size());
      out.append(json.substr(i, j - i));
      i = j;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      size_t j = i;
      while (j < json.size() && IsNumberChar(json[j])) ++j;
      const std::string_view token = json.substr(i, j - i);
      out.append(token);
      if (IsBigInteger(token)) out.append(".0");
      i = j;
    } else {
      out.push_back(c);
      ++i;
    }
  }
  return out;
}

bool IsJsonSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

// The text of the array or object `value` (empty for other values), located in
// `original` through its offset in the padded copy that `doc` iterates.
// Consuming the value moves the document to the ',' or '}' after it; elements
// and fields left untouched are skipped cheaply.
absl::StatusOr<std::string_view> ContainerText(simdjson::ondemand::value& value, simdjson::ondemand::document& doc,
                                               const char* original, const char* padded) {
  simdjson::ondemand::json_type type;
  simdjson::error_code error = value.type().get(type);
  if (error) return InvalidJsonError(error);
  const size_t begin = value.raw_json_token().data() - padded;
  if (type == simdjson::ondemand::json_type::array) {
    for (auto element : value.get_array()) {
      if ((error = element.error())) return InvalidJsonError(error);
    }
  } else if (type == simdjson::ondemand::json_type::object) {
    for (auto member : value.get_object()) {
      if ((error = member.error())) return InvalidJsonError(error);
    }
  } else {
    return std::string_view();
  }
  const char* after = nullptr;
  if ((error = doc.current_location().get(after))) return InvalidJsonError(error);
  size_t end = after - padded;
  while (end > begin && IsJsonSpace(original[end - 1])) --end;
  return std::string_view(original + begin, end - begin);
}

}  // namespace

ParserLease::ParserLease() : parsers_(ParserPool::Get().Take()) {}

ParserLease::~ParserLease() { ParserPool::Get().Give(std::move(parsers_)); }

absl::StatusOr<simdjson::dom::element> ParserLease::ParseDom(std::string_view json) {
  simdjson::dom::element root;
  simdjson::error_code error = parsers_->dom.parse(json.data(), json.size()).get(root);
  if (error == simdjson::NUMBER_ERROR) {
    const std::string widened = WidenBigIntegers(json);
    // The DOM copies strings into its own buffer, so `widened` may go.
    if (widened.size() != json.size()) error = parsers_->dom.parse(widened.data(), widened.size()).get(root);
  }
  if (error) return InvalidJsonError(error);
  return root;
}

absl::StatusOr<simdjson::ondemand::document> ParserLease::Iterate(std::string_view json) {
  std::string& padded = parsers_->padded;
  padded.assign(json);
  padded.resize(json.size() + simdjson::SIMDJSON_PADDING);
  simdjson::ondemand::document doc;
  if (auto error = parsers_->ondemand.iterate(padded.data(), json.size(), padded.size()).get(doc)) {
    return InvalidJsonError(error);
  }
  return doc;
}

absl::StatusOr<simdjson::ondemand::document> ParserLease::IterateInPlace(std::string& json) {
  // Zeroed padding inside the string's allocation but beyond its size:
  // growing and shrinking back keeps the capacity and leaves the bytes.
  const size_t size = json.size();
  json.resize(size + simdjson::SIMDJSON_PADDING, '\0');
  json.resize(size);
  simdjson::ondemand::document doc;
  if (auto error = parsers_->ondemand.iterate(json.data(), size, size + simdjson::SIMDJSON_PADDING).get(doc)) {
    return InvalidJsonError(error);
  }
  return doc;
}

absl::StatusOr<std::string_view> ParserLease::TopLevelValueText(std::string_view json, std::string_view key) {
  std::string& padded = parsers_->padded;
  padded.assign(json);
  padded.resize(json.size() + simdjson::SIMDJSON_PADDING);

  simdjson::ondemand::document doc;
  simdjson::ondemand::object object;
  simdjson::error_code error = parsers_->ondemand.iterate(padded.data(), json.size(), padded.size()).get(doc);
  if (!error) error = doc.get_object().get(object);
  if (error) return InvalidJsonError(error);

  std::optional<std::string_view> text;  // of the last occurrence seen so far
  for (auto field : object) {
    std::string_view field_key;
    if ((error = field.unescaped_key().get(field_key))) return InvalidJsonError(error);
    if (field_key != key) continue;  // the loop skips the value
    simdjson::ondemand::value value;
    if ((error = field.value().get(value))) return InvalidJsonError(error);
    ECHELON_ASSIGN_OR_RETURN(text, ContainerText(value, doc, json.data(), padded.data()));
  }
  if (!text) return absl::NotFoundError("missing field '" + std::string(key) + "'");
  if (text->empty()) return absl::InvalidArgumentError("field '" + std::string(key) + "' is not an array or object");
  return *text;
}

std::string_view ParserLease::Minify(std::string_view json) {
  std::string& out = parsers_->padded;
  if (out.size() < json.size()) out.resize(json.size());
  size_t length = 0;
  if (simdjson::minify(json.data(), json.size(), out.data(), length) != simdjson::SUCCESS) return json;
  return std::string_view(out.data(), length);
}

absl::Status InvalidJsonError(simdjson::error_code error) {
  return absl::InvalidArgumentError(std::string("invalid JSON: ") + simdjson::error_message(error));
}

}  // namespace echelon::json::internal
