// Conversion between onnx::TensorProto (initializers, Constant values, backend-test .pb files)
// and the core Tensor.
//
// Reads raw_data, the typed repeated fields (float_data, int32_data, int64_data, double_data)
// and external data (a file relative to the model's folder). Every size is checked against the
// dims before anything is allocated.
//
// Example:
//   ASSIGN_OR_RETURN(Tensor w, TensorFromProto(init, "model.onnx", "/models"));
//   ASSIGN_OR_RETURN(Tensor x, ReadTensorProtoFile("test_data_set_0/input_0.pb"));
#ifndef TENSORPORT_RUNTIME_TENSOR_PROTO_H_
#define TENSORPORT_RUNTIME_TENSOR_PROTO_H_

#include <string>

#include <onnx/onnx_pb.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/tensor.h"

namespace tp {
namespace rt {

// `source` names the file for error messages; `base_dir` resolves external data ("" = none
// allowed).
absl::StatusOr<Tensor> TensorFromProto(const onnx::TensorProto& proto, absl::string_view source,
                                       const std::string& base_dir = "");

// Reads a serialized TensorProto file; also returns its name via `name` when non-null.
absl::StatusOr<Tensor> ReadTensorProtoFile(const std::string& path, std::string* name = nullptr);

// A TensorProto holding t in raw_data.
absl::StatusOr<onnx::TensorProto> TensorToProto(const Tensor& t, const std::string& name);

}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_TENSOR_PROTO_H_
