// Expected failures as values: Error carries a stable machine code, and Result<T> is either
// a value or an Error. Exceptions are kept for the exceptional (a lost database, a bug) and
// caught once at the HTTP boundary.
#pragma once

#include <boost/json/object.hpp>
#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace kelu {

// What kind of failure an Error is; the HTTP layer maps each kind to one status code.
enum class ErrorKind {
  kBadRequest,    // malformed request (400)
  kUnauthorized,  // no or bad credentials (401)
  kForbidden,     // authenticated but not allowed (403)
  kNotFound,      // missing, or not visible to the caller (404)
  kConflict,      // a rule forbids the action in the current state (409)
  kTooLarge,      // body or quota too large (413)
  kInvalid,       // validation failed (422)
  kRateLimited,   // throttled or locked (429)
  kUnavailable,   // a dependency is down (503)
  kInternal,      // a bug (500)
};

struct Error {
  ErrorKind kind = ErrorKind::kInternal;
  std::string code;     // stable, snake_case: "seats_exhausted"
  std::string message;  // plain words for a person
  boost::json::object details;

  static Error Make(ErrorKind kind, std::string code, std::string message,
                    boost::json::object details = {}) {
    return Error{kind, std::move(code), std::move(message), std::move(details)};
  }
  static Error NotFound(const std::string& what = "resource") {
    return Make(ErrorKind::kNotFound, "not_found", "The " + what + " does not exist.");
  }
  static Error Forbidden(std::string code, std::string message) {
    return Make(ErrorKind::kForbidden, std::move(code), std::move(message));
  }
  static Error Conflict(std::string code, std::string message, boost::json::object details = {}) {
    return Make(ErrorKind::kConflict, std::move(code), std::move(message), std::move(details));
  }
};

// A value of T or an Error. Check ok() before value(); value() on an error asserts.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : data_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return data_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(data_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(data_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(data_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

  const Error& error() const& {
    assert(!ok());
    return std::get<1>(data_);
  }
  Error&& error() && {
    assert(!ok());
    return std::get<1>(std::move(data_));
  }

 private:
  std::variant<T, Error> data_;
};

struct Ok {};

// Success or an Error, for operations with no value.
using Status = Result<Ok>;

inline Status OkStatus() { return Ok{}; }

}  // namespace kelu

// Returns the error of `expr` (a Result or Status) from the enclosing function.
#define KELU_RETURN_IF_ERROR(expr)            \
  do {                                        \
    auto kelu_status_ = (expr);               \
    if (!kelu_status_.ok()) {                 \
      return std::move(kelu_status_).error(); \
    }                                         \
  } while (false)
