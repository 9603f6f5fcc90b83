// Small helpers for absl::Status plumbing, shared by the core, the gateway and
// the clients. Debian's abseil predates ABSL_RETURN_IF_ERROR, hence the macros.
//
//   ECHELON_RETURN_IF_ERROR(store.Put(world));
//   ECHELON_ASSIGN_OR_RETURN(WorldModel model, ParseWorld(text));
#pragma once

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define ECHELON_STATUS_CONCAT_INNER(a, b) a##b
#define ECHELON_STATUS_CONCAT(a, b) ECHELON_STATUS_CONCAT_INNER(a, b)

#define ECHELON_RETURN_IF_ERROR(expr)                  \
  do {                                                 \
    ::absl::Status echelon_status_ = (expr);           \
    if (!echelon_status_.ok()) return echelon_status_; \
  } while (0)

#define ECHELON_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return std::move(tmp).status();      \
  lhs = std::move(tmp).value()

#define ECHELON_ASSIGN_OR_RETURN(lhs, expr) \
  ECHELON_ASSIGN_OR_RETURN_IMPL(ECHELON_STATUS_CONCAT(echelon_statusor_, __LINE__), lhs, expr)
