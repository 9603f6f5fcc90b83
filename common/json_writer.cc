#include "common/json_writer.h"

#include <charconv>
#include <cmath>
#include <cstring>

namespace echelon {

void AppendJsonString(std::string& out, std::string_view value) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  size_t run_start = 0;
  for (size_t i = 0; i < value.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(value[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(value.data() + run_start, i - run_start);
    run_start = i + 1;
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\b': out.append("\\b"); break;
      case '\f': out.append("\\f"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      default: {
        const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]};
        out.append(esc, 6);
      }
    }
  }
  out.append(value.data() + run_start, value.size() - run_start);
  out.push_back('"');
}

void AppendJsonDouble(std::string& out, double value) {
  if (!std::isfinite(value)) {
    out.append("null");
    return;
  }
  // Shortest round-trip digits in scientific form, then laid out as Python's
  // float repr does: fixed for decimal exponents in [-4, 16), else d.ddde+XX.
  char sci[32];
  const auto result = std::to_chars(sci, sci + sizeof(sci), value, std::chars_format::scientific);
  const char* p = sci;
  const char* const end = result.ptr;
  if (*p == '-') {
    out.push_back('-');
    ++p;
  }
  char digits[24];  // the significant digits, without the point
  int n = 0;
  for (; p != end && *p != 'e'; ++p) {
    if (*p != '.') digits[n++] = *p;
  }
  int exponent = 0;
  ++p;  // 'e'
  if (p != end && *p == '+') ++p;
  std::from_chars(p, end, exponent);

  if (exponent >= -4 && exponent < 16) {
    if (exponent < 0) {
      out.append("0.");
      out.append(static_cast<size_t>(-exponent - 1), '0');
      out.append(digits, n);
    } else if (exponent + 1 >= n) {
      out.append(digits, n);
      out.append(static_cast<size_t>(exponent + 1 - n), '0');
      out.append(".0");
    } else {
      out.append(digits, exponent + 1);
      out.push_back('.');
      out.append(digits + exponent + 1, n - exponent - 1);
    }
    return;
  }
  out.push_back(digits[0]);
  if (n > 1) {
    out.push_back('.');
    out.append(digits + 1, n - 1);
  }
  char exp_text[8];
  const int magnitude = exponent < 0 ? -exponent : exponent;
  int len = 0;
  exp_text[len++] = 'e';
  exp_text[len++] = exponent < 0 ? '-' : '+';
  if (magnitude < 10) exp_text[len++] = '0';
  len += static_cast<int>(std::to_chars(exp_text + len, exp_text + sizeof(exp_text), magnitude).ptr -
                          (exp_text + len));
  out.append(exp_text, len);
}

void AppendJsonInt(std::string& out, int64_t value) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  out.append(buf, end - buf);
}

}  // namespace echelon
