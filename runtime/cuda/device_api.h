// Internal: the CUDA runtime and cuBLAS calls the cuda backend needs, behind a plain C++
// interface (device_api.cu) so that host sources compile with g++ without CUDA headers (Bazel
// 4.2.3 rejects include paths outside the execution root, and the toolchain does not declare
// /usr/local/cuda/include). Error values are cudaError_t / cublasStatus_t as int, 0 = success.
// All work is queued on the calling thread's default stream (cudaStreamPerThread).
//
// Example:
//   void* p = nullptr;
//   int err = DeviceMalloc(&p, 1024);
//   if (err != 0) LOG << ErrorName(err) << ": " << ErrorString(err);
//   err = CopyToDevice(p, host, 1024);
#ifndef TENSORPORT_RUNTIME_CUDA_DEVICE_API_H_
#define TENSORPORT_RUNTIME_CUDA_DEVICE_API_H_

#include <cstdint>

namespace tp {
namespace rt {
namespace cuda {

int GetDeviceCount(int* count);
const char* ErrorName(int err);
const char* ErrorString(int err);
// Clears the last-error state after a failed call (cudaGetLastError).
void ClearLastError();

int DeviceMalloc(void** ptr, int64_t bytes);
int DeviceFree(void* ptr);
int CopyToDevice(void* dst, const void* src, int64_t bytes);
int CopyToHost(void* dst, const void* src, int64_t bytes);
int CopyOnDevice(void* dst, const void* src, int64_t bytes);
int FillZero(void* dst, int64_t bytes);
int Synchronize();

// cuBLAS, with a handle bound to the per-thread stream and FP32 (no TF32) math.
int BlasCreate(void** handle);
int BlasDestroy(void* handle);
const char* BlasStatusName(int status);

// Row-major C[m x n] = alpha * op(A) * op(B) + beta * C with leading dimensions in elements.
int BlasSgemm(void* handle, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
              float alpha, const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
              float* c, int64_t ldc);
// `batch` such products, operand i at base + i * stride (stride 0 repeats a matrix).
int BlasSgemmStridedBatched(void* handle, bool trans_a, bool trans_b, int64_t m, int64_t n,
                            int64_t k, float alpha, const float* a, int64_t lda, int64_t stride_a,
                            const float* b, int64_t ldb, int64_t stride_b, float beta, float* c,
                            int64_t ldc, int64_t stride_c, int64_t batch);

}  // namespace cuda
}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_CUDA_DEVICE_API_H_
