// A bounds-checked little-endian cursor over a byte range (a mapped file or a buffer).
//
// Every read checks the bytes left first, and counts that size allocations (a string length, an
// array count) are checked against what remains before anything is allocated, so a corrupted
// size field yields an OutOfRange status instead of a crash or a huge allocation.
//
// Example:
//   ByteReader r(file->bytes(), file->path());
//   ASSIGN_OR_RETURN(uint32_t magic, r.Read<uint32_t>("magic"));
//   ASSIGN_OR_RETURN(absl::string_view name, r.ReadBytes(len, "tensor name"));
#ifndef TENSORPORT_CORE_BYTE_READER_H_
#define TENSORPORT_CORE_BYTE_READER_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace tp {

class ByteReader {
 public:
  ByteReader(absl::string_view bytes, std::string source)
      : bytes_(bytes), source_(std::move(source)) {}

  uint64_t offset() const { return offset_; }
  uint64_t remaining() const { return bytes_.size() - offset_; }
  uint64_t size() const { return bytes_.size(); }
  const std::string& source() const { return source_; }

  absl::Status Need(uint64_t n, absl::string_view what) const {
    if (n > remaining()) {
      return absl::OutOfRangeError(absl::StrCat(source_, ": ", what, " at offset ", offset_,
                                                " needs ", n, " bytes, only ", remaining(),
                                                " left (file truncated?)"));
    }
    return absl::OkStatus();
  }

  template <typename T>
  absl::StatusOr<T> Read(absl::string_view what) {
    static_assert(std::is_trivially_copyable<T>::value, "plain values only");
    absl::Status s = Need(sizeof(T), what);
    if (!s.ok()) return s;
    T v;
    std::memcpy(&v, bytes_.data() + offset_, sizeof(T));
    offset_ += sizeof(T);
    return v;
  }

  absl::StatusOr<absl::string_view> ReadBytes(uint64_t n, absl::string_view what) {
    absl::Status s = Need(n, what);
    if (!s.ok()) return s;
    absl::string_view out = bytes_.substr(offset_, n);
    offset_ += n;
    return out;
  }

  absl::Status Skip(uint64_t n, absl::string_view what) {
    absl::Status s = Need(n, what);
    if (!s.ok()) return s;
    offset_ += n;
    return absl::OkStatus();
  }

  absl::Status Seek(uint64_t offset, absl::string_view what) {
    if (offset > bytes_.size()) {
      return absl::OutOfRangeError(absl::StrCat(source_, ": ", what, " offset ", offset,
                                                " is past the end (", bytes_.size(), " bytes)"));
    }
    offset_ = offset;
    return absl::OkStatus();
  }

  // Checks that `count` items of at least `min_item_bytes` each can still fit, before a caller
  // reserves memory for them.
  absl::Status CheckCount(uint64_t count, uint64_t min_item_bytes, absl::string_view what) const {
    if (min_item_bytes > 0 && count > remaining() / min_item_bytes) {
      return absl::OutOfRangeError(absl::StrCat(source_, ": ", what, " count ", count,
                                                " needs at least ", min_item_bytes,
                                                " bytes each, only ", remaining(), " left"));
    }
    return absl::OkStatus();
  }

 private:
  absl::string_view bytes_;
  std::string source_;
  uint64_t offset_ = 0;
};

}  // namespace tp

#endif  // TENSORPORT_CORE_BYTE_READER_H_
