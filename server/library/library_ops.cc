#include "server/library/library_ops.h"

#include "absl/strings/str_cat.h"

namespace echelon::library {

namespace {

const char* NameOf(LibraryOpKind kind) {
  switch (kind) {
    case LibraryOpKind::kPin: return "pin";
    case LibraryOpKind::kUnpin: return "unpin";
    case LibraryOpKind::kDelete: return "delete";
  }
  return "";
}

}  // namespace

std::string EncodeLibraryOp(const LibraryOp& op) { return absl::StrCat(NameOf(op.kind), "\n", op.replay_id); }

absl::StatusOr<LibraryOp> DecodeLibraryOp(std::string_view body) {
  const size_t newline = body.find('\n');
  if (newline == std::string_view::npos || newline + 1 == body.size()) {
    return absl::InvalidArgumentError("a library change is '<pin|unpin|delete>\\n<replay id>'");
  }
  const std::string_view name = body.substr(0, newline);
  LibraryOp op;
  op.replay_id = std::string(body.substr(newline + 1));
  for (LibraryOpKind kind : {LibraryOpKind::kPin, LibraryOpKind::kUnpin, LibraryOpKind::kDelete}) {
    if (name == NameOf(kind)) {
      op.kind = kind;
      return op;
    }
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown library change '", std::string(name), "'"));
}

}  // namespace echelon::library
