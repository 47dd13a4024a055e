// The host side's one way to fail: a function that can fail returns Result<T> (its value, or
// an Error that says what went wrong and where) instead of throwing. Exceptions stay inside
// parsers (toml11, nlohmann) and never cross a thread or process boundary; V8's Maybe and
// MaybeLocal stay at the V8 edge.
#pragma once

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace krepis {

// What went wrong, for a person: names the file, line and key, or the thing, and why.
struct Error {
  std::string message;
};

// A value of T, or an error E. E differs from T (a Result<std::string> holds its message in
// an Error, never in a bare string), so either converts implicitly into the Result.
template <class T, class E = Error>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  Result(E error) : state_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // The value; only when ok().
  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // The error; only when !ok().
  const E& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, E> state_;
};

// The value of a Result that has nothing else to say.
struct Done {};

// The error of a system call that just failed, `call` naming it: "socketpair: Too many open
// files". Reads errno: call it before anything else can change it.
inline Error system_call_error(std::string_view call) {
  return Error{std::string(call) + ": " + std::strerror(errno)};
}

}  // namespace krepis
