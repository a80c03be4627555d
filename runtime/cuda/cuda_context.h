// Per-thread CUDA state for the cuda backend: the device check, one cuBLAS handle per thread, a
// small cache of device buffers, host<->device staging of core Tensors, and the conversion of
// CUDA / cuBLAS error codes into absl::Status values that name the node.
//
// The runtime's tensors live on the host, so a cuda kernel uploads its inputs, runs on the
// per-thread stream (cudaStreamPerThread) and downloads its outputs before returning. Device
// buffers are recycled through a per-thread cache so that a graph run does not cudaMalloc per
// node.
//
// Example:
//   RETURN_IF_ERROR(CudaReady(ctx));
//   ASSIGN_OR_RETURN(DeviceBuffer dx, Upload(ctx, x_packed));
//   ASSIGN_OR_RETURN(DeviceBuffer dy, DeviceBuffer::Allocate(ctx, bytes));
//   RETURN_IF_ERROR(CudaCheck(ctx, LaunchSomething(dx.as<float>(), dy.as<float>(), n),
//                             "SomeKernel"));
//   ASSIGN_OR_RETURN(Tensor y, Download(ctx, dy, DType::kF32, shape));
#ifndef TENSORPORT_RUNTIME_CUDA_CUDA_CONTEXT_H_
#define TENSORPORT_RUNTIME_CUDA_CUDA_CONTEXT_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/tensor.h"
#include "runtime/kernel.h"

namespace tp {
namespace rt {
namespace cuda {

// OK when a CUDA device is visible; otherwise Unavailable with the reason (the driver's message
// or "cudaGetDeviceCount returned 0 devices"). Computed once per process.
absl::Status DeviceStatus();

// DeviceStatus() as an error naming the node.
absl::Status CudaReady(const KernelContext& ctx);

// A cudaError_t as a Status naming the node and the step: "node 'n' (Conv): CUDA error in
// im2col: an illegal memory access was encountered (cudaErrorIllegalAddress)".
// `err` is a cudaError_t value (device_api.h), `status` a cublasStatus_t value.
absl::Status CudaCheck(const KernelContext& ctx, int err, absl::string_view what);
absl::Status CublasCheck(const KernelContext& ctx, int status, absl::string_view what);

// This thread's cuBLAS handle (for device_api.h's Blas* calls).
absl::StatusOr<void*> CublasHandle(const KernelContext& ctx);

// A device allocation from the per-thread cache; returned to the cache when destroyed.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(DeviceBuffer&& other) noexcept;
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  ~DeviceBuffer();

  // At least `bytes` bytes (a zero-byte request still yields a valid pointer).
  static absl::StatusOr<DeviceBuffer> Allocate(const KernelContext& ctx, int64_t bytes);

  void* get() const { return ptr_; }
  template <typename T>
  T* as() const {
    return static_cast<T*>(ptr_);
  }
  int64_t bytes() const { return bytes_; }

 private:
  void Release();
  void* ptr_ = nullptr;
  int64_t bytes_ = 0;     // requested
  int64_t capacity_ = 0;  // allocated
};

// Copies a tensor's packed bytes to a new device buffer.
absl::StatusOr<DeviceBuffer> Upload(const KernelContext& ctx, const Tensor& t);
// Copies host bytes to a new device buffer.
absl::StatusOr<DeviceBuffer> UploadBytes(const KernelContext& ctx, const void* data,
                                         int64_t bytes);
// Waits for the stream, then copies `buffer` into a new owned host tensor of dtype x shape.
absl::StatusOr<Tensor> Download(const KernelContext& ctx, const DeviceBuffer& buffer, DType dtype,
                                Shape shape);

// Bytes currently held by this thread's cache (for tests).
int64_t CachedBytesForTesting();

}  // namespace cuda
}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_CUDA_CUDA_CONTEXT_H_
