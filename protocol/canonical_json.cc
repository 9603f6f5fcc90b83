#include "protocol/canonical_json.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <limits>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/json_writer.h"
#include "protocol/json_limits.h"

namespace echelon::json {
namespace {

// Canonical text is context free: an array or a scalar reads the same wherever
// it sits. So the parser writes arrays and scalars out canonically as it goes
// (into CanonicalJsonBuilder::text_), and only objects, whose members must be
// reordered, are kept as structure: each member remembers the span of text_
// its value took, with any objects inside that value left as holes to be
// filled in when the result is assembled. Every byte is thus copied a bounded
// number of times however deeply objects nest.

// A half-open byte range of text_.
struct Span {
  uint32_t begin = 0;
  uint32_t end = 0;
};

// A range of object_ids_: the objects directly inside one value, in text order.
struct ObjectRange {
  uint32_t first = 0;
  uint32_t count = 0;
};

struct Member {
  std::string_view key;  // decoded UTF-8
  Span value;
  ObjectRange objects;
  uint32_t order = 0;  // position in the body, so that a later duplicate wins
};

struct Object {
  Span text;  // what its member values took in text_, the hole it leaves there
  uint32_t first_member = 0;
  uint32_t member_count = 0;
};

constexpr char kHex[] = "0123456789abcdef";

// Appends `code_unit` as \uXXXX with lowercase hex digits, as Python does.
void AppendUnicodeEscape(std::string& out, uint32_t code_unit) {
  const char escape[6] = {'\\', 'u', kHex[(code_unit >> 12) & 0xf], kHex[(code_unit >> 8) & 0xf],
                          kHex[(code_unit >> 4) & 0xf], kHex[code_unit & 0xf]};
  out.append(escape, sizeof(escape));
}

// Decodes the (already validated) UTF-8 sequence starting at text[i] and
// advances i past it.
uint32_t DecodeUtf8(std::string_view text, size_t& i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]) & 0x3fu; };
  const unsigned char lead = static_cast<unsigned char>(text[i]);
  uint32_t code_point;
  if (lead < 0xe0) {
    code_point = ((lead & 0x1fu) << 6) | byte(i + 1);
    i += 2;
  } else if (lead < 0xf0) {
    code_point = ((lead & 0x0fu) << 12) | (byte(i + 1) << 6) | byte(i + 2);
    i += 3;
  } else {
    code_point = ((lead & 0x07u) << 18) | (byte(i + 1) << 12) | (byte(i + 2) << 6) | byte(i + 3);
    i += 4;
  }
  return code_point;
}

// Appends valid UTF-8 `text` as a JSON string the way Python's json.dumps does
// with ensure_ascii: printable ASCII as is (including '/'), the five short
// escapes, everything else as \uXXXX (a surrogate pair above U+FFFF).
void AppendCanonicalString(std::string& out, std::string_view text) {
  out.push_back('"');
  size_t run_start = 0;
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    out.append(text.data() + run_start, i - run_start);
    switch (c) {
      case '"': out.append("\\\""); ++i; break;
      case '\\': out.append("\\\\"); ++i; break;
      case '\b': out.append("\\b"); ++i; break;
      case '\f': out.append("\\f"); ++i; break;
      case '\n': out.append("\\n"); ++i; break;
      case '\r': out.append("\\r"); ++i; break;
      case '\t': out.append("\\t"); ++i; break;
      default: {
        if (c < 0x80) {
          AppendUnicodeEscape(out, c);
          ++i;
          break;
        }
        const uint32_t code_point = DecodeUtf8(text, i);
        if (code_point > 0xffff) {
          AppendUnicodeEscape(out, 0xd800 + ((code_point - 0x10000) >> 10));
          AppendUnicodeEscape(out, 0xdc00 + ((code_point - 0x10000) & 0x3ff));
        } else {
          AppendUnicodeEscape(out, code_point);
        }
      }
    }
    run_start = i;
  }
  out.append(text.data() + run_start, text.size() - run_start);
  out.push_back('"');
}

void AppendUtf8(std::string& out, uint32_t code_point) {
  if (code_point < 0x80) {
    out.push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (code_point >> 6)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3f)));
  } else if (code_point < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (code_point >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | (code_point >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3f)));
  }
}

// Whether a float literal that std::from_chars reported out of range is too
// large rather than too small. Such a literal is either above DBL_MAX (about
// 1.8e308) or below half the smallest subnormal (about 2.5e-324), so the sign
// of the decimal exponent of its leading significant digit decides. `text`
// has already been checked against the JSON number grammar.
bool IsOverflowingLiteral(std::string_view text) {
  size_t i = text.front() == '-' ? 1 : 0;
  const size_t int_begin = i;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  int64_t lead_exponent;
  if (text[int_begin] != '0') {
    lead_exponent = static_cast<int64_t>(i - int_begin) - 1;
  } else {
    lead_exponent = -1;
    if (i < text.size() && text[i] == '.') {
      for (++i; i < text.size() && text[i] == '0'; ++i) --lead_exponent;
    }
  }
  const size_t e = text.find_first_of("eE");
  int64_t exponent = 0;
  if (e != std::string_view::npos) {
    size_t k = e + 1;
    const bool negative = text[k] == '-';
    if (text[k] == '-' || text[k] == '+') ++k;
    // Saturate: anything past a billion is equally out of range.
    for (; k < text.size() && exponent < 1'000'000'000; ++k) exponent = exponent * 10 + (text[k] - '0');
    if (negative) exponent = -exponent;
  }
  return lead_exponent + exponent > 0;
}

// A recursive-descent JSON parser (RFC 8259, plus the PROTOCOL's rejections)
// that produces the canonical text as described above. Errors are kept in
// error_ and signalled with `false` so that the hot path carries no Status
// objects; Parse() hands the error out.
class CanonicalJsonBuilder {
 public:
  explicit CanonicalJsonBuilder(std::string_view input) : input_(input) {}

  // Parses the whole input. On success Canonical() may be called.
  [[nodiscard]] absl::Status Parse() {
    if (input_.size() >= std::numeric_limits<uint32_t>::max() / 8) {
      // Offsets into text_ are 32-bit, and canonical text can be up to six
      // times longer than the body (raw UTF-8 becomes \uXXXX escapes).
      return absl::InvalidArgumentError("JSON body too large");
    }
    if (input_.starts_with("\xef\xbb\xbf")) {
      return absl::InvalidArgumentError("invalid JSON: a UTF-8 byte order mark is not allowed");
    }
    text_.reserve(input_.size());
    SkipWhitespace();
    if (AtEnd()) return absl::InvalidArgumentError("invalid JSON: empty body, expected a value");
    if (!ParseValue(0)) return error_;
    SkipWhitespace();
    if (!AtEnd()) {
      Fail("unexpected data after the JSON value");
      return error_;
    }
    root_objects_ = TakeObjects(0);
    return absl::OkStatus();
  }

  [[nodiscard]] std::string Canonical() const {
    std::string out;
    out.reserve(text_.size() + 16);
    AppendValue(Span{0, static_cast<uint32_t>(text_.size())}, root_objects_, out);
    return out;
  }

 private:
  [[nodiscard]] bool AtEnd() const { return pos_ >= input_.size(); }
  [[nodiscard]] unsigned char Peek() const { return static_cast<unsigned char>(input_[pos_]); }
  [[nodiscard]] bool AtDigit() const { return !AtEnd() && Peek() >= '0' && Peek() <= '9'; }
  [[nodiscard]] uint32_t TextSize() const { return static_cast<uint32_t>(text_.size()); }

  bool Fail(const std::string& what) {
    error_ = absl::InvalidArgumentError(absl::StrCat("invalid JSON at byte ", pos_, ": ", what));
    return false;
  }

  bool FailUnexpected(const std::string& expected) {
    if (AtEnd()) return Fail(absl::StrCat("unexpected end of input, expected ", expected));
    return Fail(absl::StrCat("expected ", expected));
  }

  void SkipWhitespace() {
    while (!AtEnd()) {
      const unsigned char c = Peek();
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
      ++pos_;
    }
  }

  void SkipDigits() {
    while (AtDigit()) ++pos_;
  }

  // Consumes `c` if it comes next (after whitespace).
  bool Consume(char c) {
    SkipWhitespace();
    if (AtEnd() || input_[pos_] != c) return false;
    ++pos_;
    return true;
  }

  // Parses the value at pos_ (whitespace already skipped) and appends its
  // canonical text. `depth` counts the arrays and objects around it, so the
  // value itself sits at depth + 1 (json_limits.h).
  bool ParseValue(int depth) {
    if (AtEnd()) return FailUnexpected("a value");
    if (depth >= kMaxDocumentNestingDepth) {
      return Fail(absl::StrCat("values nest deeper than ", kMaxDocumentNestingDepth, " levels"));
    }
    switch (Peek()) {
      case '{': return ParseObject(depth + 1);
      case '[': return ParseArray(depth + 1);
      case '"': return ParseStringValue();
      case 't': return ParseLiteral("true");
      case 'f': return ParseLiteral("false");
      case 'n': return ParseLiteral("null");
      case 'N': return RejectNonFinite("NaN");
      case 'I': return RejectNonFinite("Infinity");
      default: return ParseNumber();
    }
  }

  bool ParseLiteral(std::string_view word) {
    if (input_.substr(pos_, word.size()) != word) return FailUnexpected("a value");
    pos_ += word.size();
    text_.append(word);
    return true;
  }

  // Python reads these words as floats; the world hash has no place for them.
  bool RejectNonFinite(std::string_view word) {
    if (input_.substr(pos_, word.size()) != word) return FailUnexpected("a value");
    return Fail(absl::StrCat(std::string(word), " is not allowed (numbers must be finite)"));
  }

  bool ParseArray(int depth) {
    ++pos_;  // '['
    text_.push_back('[');
    if (!Consume(']')) {
      bool first = true;
      do {
        if (!first) text_.push_back(',');
        first = false;
        SkipWhitespace();
        if (!ParseValue(depth)) return false;
      } while (Consume(','));
      if (!Consume(']')) return FailUnexpected("',' or ']'");
    }
    text_.push_back(']');
    return true;
  }

  bool ParseObject(int depth) {
    ++pos_;  // '{'
    const size_t member_base = member_stack_.size();
    Object object;
    object.text.begin = TextSize();
    if (!Consume('}')) {
      do {
        if (!ParseMember(depth)) return false;
      } while (Consume(','));
      if (!Consume('}')) return FailUnexpected("',' or '}'");
    }
    object.text.end = TextSize();

    const auto begin = member_stack_.begin() + member_base;
    const auto end = SortAndDeduplicate(begin, member_stack_.end());
    object.first_member = static_cast<uint32_t>(members_.size());
    object.member_count = static_cast<uint32_t>(end - begin);
    members_.insert(members_.end(), begin, end);
    member_stack_.resize(member_base);

    objects_.push_back(object);
    open_object_ids_.push_back(static_cast<uint32_t>(objects_.size() - 1));
    return true;
  }

  // Parses `"key": value` into member_stack_.
  bool ParseMember(int depth) {
    SkipWhitespace();
    if (AtEnd() || Peek() != '"') return FailUnexpected("a string key");
    Member member;
    if (!ParseString(member.key)) return false;
    if (!Consume(':')) return FailUnexpected("':'");
    SkipWhitespace();
    member.order = static_cast<uint32_t>(member_stack_.size());
    const size_t object_base = open_object_ids_.size();
    member.value.begin = TextSize();
    if (!ParseValue(depth)) return false;
    member.value.end = TextSize();
    member.objects = TakeObjects(object_base);
    member_stack_.push_back(member);
    return true;
  }

  // Moves the ids of the objects that closed since open_object_ids_ had
  // `base` entries (those directly inside the value just parsed) to
  // object_ids_, and returns where they went.
  ObjectRange TakeObjects(size_t base) {
    ObjectRange range{static_cast<uint32_t>(object_ids_.size()),
                      static_cast<uint32_t>(open_object_ids_.size() - base)};
    object_ids_.insert(object_ids_.end(), open_object_ids_.begin() + base, open_object_ids_.end());
    open_object_ids_.resize(base);
    return range;
  }

  // Sorts members by key (byte order of UTF-8 is code point order) and keeps
  // the last of equal keys, as a Python dict does; returns the new end.
  using MemberIt = std::vector<Member>::iterator;
  static MemberIt SortAndDeduplicate(MemberIt begin, MemberIt end) {
    // Bodies written with sort_keys are already in order: skip the sort.
    const auto out_of_order = [](const Member& a, const Member& b) { return !(a.key < b.key); };
    if (std::adjacent_find(begin, end, out_of_order) == end) return end;
    std::sort(begin, end, [](const Member& a, const Member& b) {
      return a.key != b.key ? a.key < b.key : a.order < b.order;
    });
    auto out = begin;
    for (auto it = begin; it != end; ++it) {
      if (it + 1 != end && it[1].key == it->key) continue;  // a later one wins
      *out++ = *it;
    }
    return out;
  }

  bool ParseStringValue() {
    // Decoded value strings are needed only until they are re-escaped.
    const size_t arena_mark = arena_.size();
    std::string_view decoded;
    if (!ParseString(decoded)) return false;
    AppendCanonicalString(text_, decoded);
    arena_.resize(arena_mark);
    return true;
  }

  // Parses the string at pos_ (the opening quote). `text` gets the decoded
  // UTF-8: a view into the input when there are no escapes, else into arena_.
  bool ParseString(std::string_view& text) {
    ++pos_;  // '"'
    size_t run_start = pos_;
    size_t arena_begin = std::string::npos;  // set once an escape forces decoding
    while (!AtEnd()) {
      const unsigned char c = Peek();
      if (c == '"') {
        if (arena_begin == std::string::npos) {
          text = input_.substr(run_start, pos_ - run_start);
        } else {
          arena_.append(input_.data() + run_start, pos_ - run_start);
          text = std::string_view(arena_.data() + arena_begin, arena_.size() - arena_begin);
        }
        ++pos_;
        return true;
      }
      if (c == '\\') {
        if (arena_begin == std::string::npos) arena_begin = StartDecoding();
        arena_.append(input_.data() + run_start, pos_ - run_start);
        if (!ParseEscape()) return false;
        run_start = pos_;
      } else if (c < 0x20) {
        return Fail(absl::StrCat("control character 0x", absl::Hex(c, absl::kZeroPad2),
                                 " in a string must be escaped"));
      } else if (c < 0x80) {
        ++pos_;
      } else if (!SkipUtf8Sequence()) {
        return false;
      }
    }
    return FailUnexpected("'\"' to close the string");
  }

  // Returns where the next decoded string starts in arena_. The arena is
  // reserved once to the input size, which bounds all decoded text, so it
  // never reallocates and the key views handed out stay valid.
  size_t StartDecoding() {
    if (arena_.capacity() < input_.size()) arena_.reserve(input_.size());
    return arena_.size();
  }

  // Decodes the escape at pos_ (the backslash) into arena_.
  bool ParseEscape() {
    ++pos_;  // '\'
    if (AtEnd()) return FailUnexpected("an escape character");
    const char c = input_[pos_++];
    switch (c) {
      case '"': case '\\': case '/': arena_.push_back(c); return true;
      case 'b': arena_.push_back('\b'); return true;
      case 'f': arena_.push_back('\f'); return true;
      case 'n': arena_.push_back('\n'); return true;
      case 'r': arena_.push_back('\r'); return true;
      case 't': arena_.push_back('\t'); return true;
      case 'u': return ParseUnicodeEscape();
      default:
        --pos_;
        return Fail("invalid escape in string");
    }
  }

  // Decodes \uXXXX (pos_ after the 'u'), joining a surrogate pair and
  // rejecting a lone surrogate, which has no UTF-8 form.
  bool ParseUnicodeEscape() {
    const size_t escape_at = pos_ - 2;
    uint32_t code_point;
    if (!ReadHex4(code_point)) return false;
    if (code_point >= 0xdc00 && code_point <= 0xdfff) return FailLoneSurrogate(escape_at);
    if (code_point >= 0xd800 && code_point <= 0xdbff) {
      if (input_.substr(pos_, 2) != "\\u") return FailLoneSurrogate(escape_at);
      pos_ += 2;
      uint32_t low;
      if (!ReadHex4(low)) return false;
      if (low < 0xdc00 || low > 0xdfff) return FailLoneSurrogate(escape_at);
      code_point = 0x10000 + ((code_point - 0xd800) << 10) + (low - 0xdc00);
    }
    AppendUtf8(arena_, code_point);
    return true;
  }

  bool FailLoneSurrogate(size_t escape_at) {
    pos_ = escape_at;
    return Fail(absl::StrCat("lone surrogate ", std::string(input_.substr(escape_at, 6)), " is not allowed"));
  }

  bool ReadHex4(uint32_t& value) {
    value = 0;
    for (int k = 0; k < 4; ++k, ++pos_) {
      if (AtEnd()) return FailUnexpected("4 hex digits after \\u");
      const char c = input_[pos_];
      uint32_t digit;
      if (c >= '0' && c <= '9') {
        digit = c - '0';
      } else if (c >= 'a' && c <= 'f') {
        digit = c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        digit = c - 'A' + 10;
      } else {
        return Fail("expected 4 hex digits after \\u");
      }
      value = value * 16 + digit;
    }
    return true;
  }

  // Checks the multi-byte UTF-8 sequence at pos_ (RFC 3629: no overlong
  // forms, no encoded surrogates, nothing above U+10FFFF) and skips it.
  bool SkipUtf8Sequence() {
    const unsigned char lead = Peek();
    size_t length;
    unsigned char second_min = 0x80;
    unsigned char second_max = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) {
      length = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3;
      if (lead == 0xe0) second_min = 0xa0;  // overlong
      if (lead == 0xed) second_max = 0x9f;  // U+D800..U+DFFF
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4;
      if (lead == 0xf0) second_min = 0x90;  // overlong
      if (lead == 0xf4) second_max = 0x8f;  // above U+10FFFF
    } else {
      return Fail("invalid UTF-8");
    }
    if (input_.size() - pos_ < length) return Fail("invalid UTF-8 (truncated sequence)");
    const auto byte = [&](size_t k) { return static_cast<unsigned char>(input_[pos_ + k]); };
    if (byte(1) < second_min || byte(1) > second_max) return Fail("invalid UTF-8");
    for (size_t k = 2; k < length; ++k) {
      if (byte(k) < 0x80 || byte(k) > 0xbf) return Fail("invalid UTF-8");
    }
    pos_ += length;
    return true;
  }

  // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? ; integers keep their
  // digits, anything with a fraction or exponent is read as a double.
  bool ParseNumber() {
    const size_t start = pos_;
    if (Peek() == '-') {
      if (input_.substr(pos_, 2) == "-I") return RejectNonFinite("-Infinity");
      ++pos_;
    }
    if (!AtDigit()) return FailUnexpected("a value");
    if (Peek() == '0') {
      ++pos_;
    } else {
      SkipDigits();
    }
    bool is_float = false;
    if (!AtEnd() && Peek() == '.') {
      ++pos_;
      if (!AtDigit()) return FailUnexpected("a digit after '.'");
      SkipDigits();
      is_float = true;
    }
    if (!AtEnd() && (Peek() == 'e' || Peek() == 'E')) {
      ++pos_;
      if (!AtEnd() && (Peek() == '+' || Peek() == '-')) ++pos_;
      if (!AtDigit()) return FailUnexpected("a digit in the exponent");
      SkipDigits();
      is_float = true;
    }
    const std::string_view literal = input_.substr(start, pos_ - start);
    if (!is_float) {
      text_.append(literal == "-0" ? std::string_view("0") : literal);
      return true;
    }
    double value = 0;
    const auto [end, ec] = std::from_chars(literal.data(), literal.data() + literal.size(), value);
    if (ec == std::errc::result_out_of_range) {
      if (IsOverflowingLiteral(literal)) {
        pos_ = start;
        return Fail(absl::StrCat("number ", std::string(literal.substr(0, 40)), " overflows a double"));
      }
      value = literal.front() == '-' ? -0.0 : 0.0;  // underflow reads as zero, as in Python
    } else if (ec != std::errc() || end != literal.data() + literal.size()) {
      pos_ = start;
      return Fail("unreadable number");
    }
    AppendJsonDouble(text_, value);
    return true;
  }

  // Appends the canonical text of a value: its span of text_ with the holes
  // left by `objects` filled with their canonical text.
  void AppendValue(Span span, ObjectRange objects, std::string& out) const {
    uint32_t pos = span.begin;
    for (uint32_t i = 0; i < objects.count; ++i) {
      const Object& object = objects_[object_ids_[objects.first + i]];
      out.append(text_, pos, object.text.begin - pos);
      AppendObject(object, out);
      pos = object.text.end;
    }
    out.append(text_, pos, span.end - pos);
  }

  void AppendObject(const Object& object, std::string& out) const {
    out.push_back('{');
    for (uint32_t i = 0; i < object.member_count; ++i) {
      const Member& member = members_[object.first_member + i];
      if (i > 0) out.push_back(',');
      AppendCanonicalString(out, member.key);
      out.push_back(':');
      AppendValue(member.value, member.objects, out);
    }
    out.push_back('}');
  }

  std::string_view input_;
  size_t pos_ = 0;
  absl::Status error_;
  std::string text_;                       // canonical arrays and scalars; objects are holes
  std::string arena_;                      // decoded strings that had escapes
  std::vector<Object> objects_;            // in the order they closed
  std::vector<Member> members_;            // per object contiguous, sorted, deduplicated
  std::vector<uint32_t> object_ids_;       // per value contiguous: objects directly inside
  std::vector<Member> member_stack_;       // members of the objects still open
  std::vector<uint32_t> open_object_ids_;  // closed objects not yet claimed by a value
  ObjectRange root_objects_;
};

}  // namespace

absl::StatusOr<std::string> CanonicalJson(std::string_view json_text) {
  CanonicalJsonBuilder builder(json_text);
  if (absl::Status status = builder.Parse(); !status.ok()) return status;
  return builder.Canonical();
}

}  // namespace echelon::json
