// Status propagation macros for absl::Status / absl::StatusOr, and Annotate, which adds context
// (the file, the item) to an error on its way up.
//
// Debian's Abseil (20220623) predates absl/status/status_macros.h, so the project keeps its own.
//
// Example:
//   absl::StatusOr<Tensor> LoadTensor(const std::string& path) {
//     ASSIGN_OR_RETURN(auto file, MappedFile::Open(path));
//     RETURN_IF_ERROR(CheckHeader(*file));
//     ASSIGN_OR_RETURN_CONTEXT(DType dtype, ParseDType(*file), absl::StrCat(path, ": dtype"));
//     return ParseBody(*file);
//   }
#ifndef TENSORPORT_CORE_STATUS_MACROS_H_
#define TENSORPORT_CORE_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace tp {

// `s` with "context: " before its message; the same code and payloads. OK stays OK.
inline absl::Status Annotate(const absl::Status& s, absl::string_view context) {
  if (s.ok()) return s;
  absl::Status out(s.code(), absl::StrCat(context, ": ", s.message()));
  s.ForEachPayload(
      [&](absl::string_view url, const absl::Cord& payload) { out.SetPayload(url, payload); });
  return out;
}

}  // namespace tp

#define TP_STATUS_CONCAT_INNER_(a, b) a##b
#define TP_STATUS_CONCAT_(a, b) TP_STATUS_CONCAT_INNER_(a, b)

// Returns from the enclosing function when `expr` yields a non-OK status.
#define RETURN_IF_ERROR(expr)                        \
  do {                                               \
    ::absl::Status tp_status_ = (expr);              \
    if (!tp_status_.ok()) return tp_status_;         \
  } while (0)

// Evaluates `rexpr` (a StatusOr); on error returns its status, otherwise moves the value into `lhs`.
// `lhs` may be a declaration (`auto x`) or an existing lvalue.
#define ASSIGN_OR_RETURN(lhs, rexpr) \
  TP_ASSIGN_OR_RETURN_IMPL_(TP_STATUS_CONCAT_(tp_statusor_, __LINE__), lhs, rexpr)

#define TP_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                              \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()

// As RETURN_IF_ERROR, the error annotated with `context` (evaluated only on error).
#define RETURN_IF_ERROR_CONTEXT(expr, context)                        \
  do {                                                                \
    ::absl::Status tp_status_ = (expr);                               \
    if (!tp_status_.ok()) return ::tp::Annotate(tp_status_, context); \
  } while (0)

// As ASSIGN_OR_RETURN, the error annotated with `context` (evaluated only on error).
#define ASSIGN_OR_RETURN_CONTEXT(lhs, rexpr, context) \
  TP_ASSIGN_OR_RETURN_CONTEXT_IMPL_(TP_STATUS_CONCAT_(tp_statusor_, __LINE__), lhs, rexpr, context)

#define TP_ASSIGN_OR_RETURN_CONTEXT_IMPL_(statusor, lhs, rexpr, context)             \
  auto statusor = (rexpr);                                                          \
  if (!statusor.ok()) return ::tp::Annotate(std::move(statusor).status(), context); \
  lhs = std::move(statusor).value()

#endif  // TENSORPORT_CORE_STATUS_MACROS_H_
