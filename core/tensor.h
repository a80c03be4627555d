// The tensor core: a typed, shaped, possibly strided window onto bytes.
//
// Storage is either owned (heap) or a read-only view into a memory-mapped file; a Tensor is a
// cheap handle (shared_ptr to the storage's keep-alive object), so copying a Tensor never copies
// data. Views may carry element strides (PyTorch's non-contiguous tensors) and a byte order other
// than the host's (big-endian .npy or PyTorch files); Contiguous() materializes both into a
// packed, little-endian owned tensor. Views may also be unaligned (NumPy's np.savez and
// safetensors place data at arbitrary offsets): such a view is not packed, and Contiguous() makes
// an aligned owned copy, so data_as<T>() on a packed tensor is always safe.
//
// A view made with the MappedFile overload of View() can give its pages back to the kernel once
// the caller is done with them (ReleasePages()), which keeps streaming conversions and
// layer-by-layer diffs of large files at about one tensor of resident memory.
//
// A tensor may also be streamed: its bytes come from a ByteSource read front to back (a deflated
// .npz entry, or another tensor cast on the fly). Such a tensor has no data(); it is read a block
// at a time with TensorBlockReader (core/tensor_reader.h) and materialized only by Contiguous().
//
// Example:
//   Tensor t = Tensor::Zeros(DType::kF32, {2, 3});
//   t.mutable_data_as<float>()[4] = 1.5f;
//   ASSIGN_OR_RETURN(Tensor h, Cast(t, DType::kF16));
//   ASSIGN_OR_RETURN(std::vector<double> values, ToDoubleVector(h));
//
// Example (streaming over a mapped file):
//   for (const NamedTensor& nt : ckpt.tensors) {
//     ASSIGN_OR_RETURN(Tensor c, nt.tensor.Contiguous());
//     ... read c.data_as<float>() ...
//     nt.tensor.ReleasePages();  // no-op for owned tensors
//   }
#ifndef TENSORPORT_CORE_TENSOR_H_
#define TENSORPORT_CORE_TENSOR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/byte_source.h"
#include "core/dtype.h"
#include "core/mapped_file.h"

namespace tp {

using Shape = std::vector<int64_t>;

enum class ByteOrder : uint8_t { kLittle, kBig };

// "[2, 3, 4]"; "[]" for a scalar.
std::string ShapeToString(absl::Span<const int64_t> shape);
// Product of dims; fails on negative dims or when the product of the non-zero dims overflows
// (as NumPy does: an empty array may not have absurd other dims).
absl::StatusOr<int64_t> NumElements(absl::Span<const int64_t> shape);

class Tensor {
 public:
  Tensor() = default;

  // Owned, zero-filled, contiguous, little-endian.
  static Tensor Zeros(DType dtype, Shape shape);
  // Owned, contiguous, little-endian, contents unspecified: for kernels that write every element
  // (skips Zeros' fill, which costs as much as a simple element-wise op on large outputs).
  static Tensor Uninitialized(DType dtype, Shape shape);
  // Owned copy of `bytes` (must be exactly the storage size of dtype x shape).
  static absl::StatusOr<Tensor> FromBytes(DType dtype, Shape shape, absl::string_view bytes);
  // Read-only view of `data`, kept valid by `keep_alive`. `strides` are in elements (empty means
  // contiguous row-major); the caller has checked that every addressed element lies in bounds.
  static Tensor View(DType dtype, Shape shape, std::shared_ptr<const void> keep_alive,
                     const uint8_t* data, std::vector<int64_t> strides = {},
                     ByteOrder order = ByteOrder::kLittle);
  // Same, for a view into a memory-mapped file: `file` keeps the mapping alive and lets
  // ReleasePages() drop the view's pages. `data` must point into `file`'s mapping.
  static Tensor View(DType dtype, Shape shape, std::shared_ptr<const MappedFile> file,
                     const uint8_t* data, std::vector<int64_t> strides = {},
                     ByteOrder order = ByteOrder::kLittle);

  // Bytes read front to back from `source` (packed row-major in `order`; source->size() must be
  // the storage size of dtype x shape, which the caller has checked).
  static Tensor Streamed(DType dtype, Shape shape, std::shared_ptr<const ByteSource> source,
                         ByteOrder order = ByteOrder::kLittle);

  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int rank() const { return static_cast<int>(shape_.size()); }
  int64_t num_elements() const { return num_elements_; }
  // Bytes of the packed representation (what Contiguous() would hold).
  int64_t nbytes() const;
  const std::vector<int64_t>& strides() const { return strides_; }
  ByteOrder byte_order() const { return order_; }
  bool is_view() const { return !owned_; }
  // No addressable bytes: data() is null, read with TensorBlockReader or Contiguous().
  bool is_streamed() const { return source_ != nullptr; }
  const std::shared_ptr<const ByteSource>& source() const { return source_; }

  // Packed row-major layout in host (little-endian) order, with data() aligned to the element
  // size: data() can be read directly as the element type.
  bool is_packed() const;
  // data() is a multiple of the element size (always true for 1-byte types and q8_0).
  bool is_aligned() const;
  // Row-major without gaps in host byte order, alignment aside (false for streamed tensors).
  bool is_dense_host_order() const;

  // The mapped file this tensor views (null for owned tensors and views made without one).
  const MappedFile* mapped_file() const { return mapped_.get(); }
  // Tells the kernel this tensor's bytes will not be read again soon, so the whole pages they
  // span leave the resident set (pages shared with neighbouring data at either end are kept).
  // The data stays valid: a later read faults the pages back in from the file. A no-op for owned
  // tensors and for views made without a MappedFile.
  void ReleasePages() const;
  // Maps the view's pages in ahead of a sequential read (one call instead of a page fault per
  // page); a no-op for owned tensors. Pair with ReleasePages() to keep memory bounded.
  void PrefetchPages() const;

  // First byte of the tensor. For a tensor that is not packed, elements must be addressed with
  // strides(); most callers want Contiguous() first.
  const uint8_t* data() const { return data_; }
  template <typename T>
  const T* data_as() const {
    return reinterpret_cast<const T*>(data_);
  }
  // Only for owned tensors (Zeros / FromBytes / results of operations).
  uint8_t* mutable_data() { return const_cast<uint8_t*>(data_); }
  template <typename T>
  T* mutable_data_as() {
    return reinterpret_cast<T*>(mutable_data());
  }

  // This tensor when already packed; otherwise an owned packed copy (strides applied, bytes
  // swapped to little-endian, a streamed tensor read whole: its buffer grows with the bytes that
  // actually arrive, never sized by the source's claim alone).
  absl::StatusOr<Tensor> Contiguous() const;

  // Same data, new shape with the same number of elements (packed tensors only).
  absl::StatusOr<Tensor> Reshaped(Shape shape) const;

 private:
  // The byte range of the mapping this view addresses; false when it is not a mapped view.
  bool MappedExtent(uint64_t* offset, uint64_t* length) const;

  DType dtype_ = DType::kF32;
  Shape shape_;
  std::vector<int64_t> strides_;
  ByteOrder order_ = ByteOrder::kLittle;
  int64_t num_elements_ = 0;
  bool owned_ = true;
  std::shared_ptr<const void> keep_alive_;
  std::shared_ptr<const MappedFile> mapped_;  // set by the MappedFile overload of View()
  const uint8_t* data_ = nullptr;
  std::shared_ptr<const ByteSource> source_;  // set by Streamed()

  absl::StatusOr<Tensor> ReadStreamWhole() const;
};

// Element-wise conversion to `to` (f32/f16/bf16/f64/ints/bool, and q8_0 quantize/dequantize).
// Float -> int truncates toward zero like NumPy's astype; -> bool is "!= 0".
absl::StatusOr<Tensor> Cast(const Tensor& t, DType to);

// The same conversion, computed as the result is read (a streamed tensor over `t`): a writer or a
// diff then converts a block at a time, and a 1 GiB f32 tensor narrowed to f16 never exists whole
// in memory. `t` must stay unchanged while the result is read.
absl::StatusOr<Tensor> CastLazily(const Tensor& t, DType to);

// Widens `count` packed little-endian elements of `dtype` at `src` (aligned to the element size)
// to double; for q8_0, `src` starts a block and `count` is a multiple of 32.
void DecodeToDouble(DType dtype, const uint8_t* src, int64_t count, double* out);

// All elements widened to double (q8_0 dequantized), row-major.
absl::StatusOr<std::vector<double>> ToDoubleVector(const Tensor& t);

// Owned f32 tensor from values.
Tensor TensorFromFloats(Shape shape, absl::Span<const float> values);

// Summary statistics over all elements; NaN and Inf are counted and left out of the others.
struct TensorStats {
  int64_t count = 0;  // finite elements
  double min = 0, max = 0, mean = 0, std = 0;
  int64_t nan_count = 0, inf_count = 0;
};
absl::StatusOr<TensorStats> ComputeStats(const Tensor& t);

}  // namespace tp

#endif  // TENSORPORT_CORE_TENSOR_H_
