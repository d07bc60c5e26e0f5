// JsonWriter: writes JSON text straight into a string, for the responses that are written often
// and are large (lists), where building a json::value first and serializing it afterwards costs
// more than the rest of the request. It writes what Boost.JSON's serializer would: strings are
// UTF-8 as stored, with `"`, `\` and control characters escaped.
//
//   JsonWriter w;
//   w.BeginObject().Key("id").Int(7).Key("tags").BeginArray().String("VIP").EndArray().EndObject();
//   std::string text = std::move(w).Take();
//
// The caller keeps the shape right (a key before each member value, balanced begin and end);
// a debug build asserts it.
#pragma once

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace kelu {

class JsonWriter {
 public:
  JsonWriter() { Grow(256); }

  JsonWriter& BeginObject() { return Open('{'); }
  JsonWriter& EndObject() { return Close('}'); }
  JsonWriter& BeginArray() { return Open('['); }
  JsonWriter& EndArray() { return Close(']'); }
  // The next member's name, inside an object: a plain name (letters, digits, `_`, `.`), written
  // without escaping.
  JsonWriter& Key(std::string_view name);
  JsonWriter& String(std::string_view s);
  // A string known to hold nothing JSON escapes (a timestamp, digits), written as it is.
  JsonWriter& Unescaped(std::string_view s);
  JsonWriter& Int(std::int64_t v);
  JsonWriter& Bool(bool v);
  JsonWriter& Null();
  // A value that is already JSON text (e.g. a JSON column), written as it is.
  JsonWriter& Raw(std::string_view json);
  // The same, given in pieces that together are one value (written one after another).
  JsonWriter& Raw(std::initializer_list<std::string_view> pieces);

  // Room for `bytes` more, when the caller knows roughly how much it will write.
  void Reserve(std::size_t bytes);

  std::string_view text() const { return {out_.data(), len_}; }
  std::string Take() && {
    out_.resize(len_);
    return std::move(out_);
  }

 private:
  JsonWriter& Open(char c);
  JsonWriter& Close(char c);
  void BeforeValue();
  void Escaped(std::string_view s);
  // Appends without the checks of std::string::append: `out_` is kept longer than the text
  // (`len_` bytes) and grows by doubling.
  void Put(const char* p, std::size_t n) {
    if (n > out_.size() - len_) Grow(n);
    std::memcpy(out_.data() + len_, p, n);
    len_ += n;
  }
  void Put(std::string_view s) { Put(s.data(), s.size()); }
  void Put(char c) {
    if (len_ == out_.size()) Grow(1);
    out_[len_++] = c;
  }
  void Grow(std::size_t more);

  std::string out_;
  std::size_t len_ = 0;
  // Per open container: whether a value was written in it yet (for the commas).
  std::vector<unsigned char> has_value_;
  bool after_key_ = false;
};

}  // namespace kelu
