// NumPy .npy files: one array per file.
//
// Layout (NEP 1 / numpy.lib.format):
//   "\x93NUMPY"  major(u8) minor(u8)
//   header_len   u16 (version 1.0) or u32 (2.0, 3.0), little-endian
//   header       ASCII (3.0: UTF-8) Python dict literal, space-padded and ending in '\n':
//                {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
//   data         shape's product x itemsize bytes, C (row-major) or Fortran order
//
// Supported descriptors: '<f2' '<f4' '<f8' '|i1' '<i2' '<i4' '<i8' '|u1' '|b1' and their
// big-endian ('>') or native ('=') forms. Reading maps the file and returns a view into it when the
// data is little-endian and C-ordered, aligned or not (a misaligned view is not packed;
// Contiguous() copies it); big-endian and Fortran-ordered data are converted into an owned,
// packed row-major tensor. Views can drop their pages with Tensor::ReleasePages(). Every header
// field is checked against the file size before anything is allocated. Writing emits version 1.0
// (2.0 for headers over 64 KiB) with the data aligned to 64 bytes, like NumPy; bf16 and q8_0 have
// no NumPy dtype and are refused.
//
// Example:
//   ASSIGN_OR_RETURN(Tensor t, ReadNpyFile("weights.npy"));
//   RETURN_IF_ERROR(WriteNpyFile("copy.npy", t));
#ifndef TENSORPORT_FORMATS_NPY_NPY_H_
#define TENSORPORT_FORMATS_NPY_NPY_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/mapped_file.h"
#include "core/tensor.h"

namespace tp {

struct NpyHeader {
  int major = 1;
  int minor = 0;
  std::string descr;  // as written, e.g. "<f4"
  DType dtype = DType::kF32;
  ByteOrder order = ByteOrder::kLittle;
  bool fortran_order = false;
  Shape shape;
  uint64_t data_offset = 0;  // bytes from the start of the file to the data
  uint64_t data_bytes = 0;   // shape's product x itemsize (checked for overflow)
};

// True when `head` starts with the .npy magic "\x93NUMPY".
bool LooksLikeNpy(absl::string_view head);

// Maps a descriptor ("<f4", ">i8", "|b1", "=f2") to a DType and byte order. Unsupported ones
// (complex, unsigned wider than 1 byte, strings, objects) are Unimplemented.
absl::StatusOr<DType> DTypeFromNpyDescr(absl::string_view descr, ByteOrder* order);
// The little-endian descriptor for `t` ("<f4", "|b1", ...); Unimplemented for bf16 and q8_0.
absl::StatusOr<std::string> NpyDescrFor(DType t);

// Parses the magic, version and header dict of `bytes`, and checks that the data fits.
// `source` names the input in messages ("x.npy", "dump.npz: entry \"a.npy\"").
absl::StatusOr<NpyHeader> ParseNpyHeader(absl::string_view bytes, const std::string& source);
// Same, when `bytes` is only the start of a `total_size`-byte image (a deflated entry whose data
// is still compressed): the header must lie in `bytes`, the data is checked against total_size.
absl::StatusOr<NpyHeader> ParseNpyHeader(absl::string_view bytes, uint64_t total_size,
                                         const std::string& source);
// The bytes from the start of an .npy image to the end of its header (magic, version, length
// field and header text), read from the first 12 bytes of `prefix` or fewer.
absl::StatusOr<uint64_t> NpyHeaderLength(absl::string_view prefix, const std::string& source);

// Parses a whole .npy image. The result is a view into `bytes` (kept valid by `keep_alive`)
// when no conversion is needed, otherwise an owned packed tensor. A view may be misaligned
// (then it is not packed: use Contiguous() before reading elements).
absl::StatusOr<Tensor> ParseNpy(absl::string_view bytes, std::shared_ptr<const void> keep_alive,
                                const std::string& source);
// Same, for `bytes` inside a mapped file: views can release their pages (Tensor::ReleasePages),
// and the file's pages of a converted (big-endian or Fortran) array are released after the
// conversion.
absl::StatusOr<Tensor> ParseNpy(absl::string_view bytes, std::shared_ptr<const MappedFile> file,
                                const std::string& source);

// The complete header (magic through padding newline) for a packed little-endian array of `dtype`
// and `shape`; the data follows it directly and starts at a multiple of 64 bytes.
absl::StatusOr<std::string> NpyHeaderBytes(DType dtype, const Shape& shape,
                                           const std::string& source);

// Maps `path` and parses it (see ParseNpy).
absl::StatusOr<Tensor> ReadNpyFile(const std::string& path);
// Writes `tensor` (any layout; it is made contiguous) atomically to `path`.
absl::Status WriteNpyFile(const std::string& path, const Tensor& tensor);

}  // namespace tp

#endif  // TENSORPORT_FORMATS_NPY_NPY_H_
