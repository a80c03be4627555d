// Bytes that can only be read front to back: a deflated archive entry, or another tensor's bytes
// converted on the fly. A ByteSource describes such bytes and can open any number of independent
// ByteStreams over them; each stream inflates (or converts) a block at a time, so reading a
// 2 GiB entry costs a few hundred KiB of state, never a 2 GiB buffer.
//
// Tensors hold a ByteSource when their bytes are not addressable (Tensor::Streamed); consumers
// read them with TensorBlockReader (core/tensor_reader.h), or materialize them with
// Tensor::Contiguous() when a whole buffer is really needed (a runtime input).
//
// Example:
//   ASSIGN_OR_RETURN(std::unique_ptr<ByteStream> s, source->Open());
//   uint8_t buf[65536];
//   while (true) {
//     ASSIGN_OR_RETURN(size_t n, s->Read(buf, sizeof(buf)));
//     if (n == 0) break;  // end: Read has checked the size (and a CRC, where there is one)
//     ...
//   }
#ifndef TENSORPORT_CORE_BYTE_SOURCE_H_
#define TENSORPORT_CORE_BYTE_SOURCE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace tp {

class ByteStream {
 public:
  virtual ~ByteStream() = default;
  // Up to `n` next bytes into `out`; 0 only at the end. An error (corrupt or truncated data, a
  // stream longer than declared, a CRC mismatch found at the end) names the source.
  virtual absl::StatusOr<size_t> Read(uint8_t* out, size_t n) = 0;
};

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // The number of bytes every stream yields (checked by the stream, not trusted).
  virtual uint64_t size() const = 0;
  // A new stream positioned at byte 0.
  virtual absl::StatusOr<std::unique_ptr<ByteStream>> Open() const = 0;
  // Where the bytes come from, for messages: `dump.npz: entry "x.npy"`.
  virtual std::string Describe() const = 0;
};

// Reads exactly `n` bytes or fails (OutOfRange naming `what` when the stream ends early).
absl::Status ReadFully(ByteStream& stream, uint8_t* out, size_t n, const std::string& what);

}  // namespace tp

#endif  // TENSORPORT_CORE_BYTE_SOURCE_H_
