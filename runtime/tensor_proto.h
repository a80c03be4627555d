// Conversion between onnx::TensorProto (initializers, Constant values, backend-test .pb files)
// and the core Tensor, and from onnx.SequenceProto / OptionalProto to runtime Values.
//
// Reads raw_data, the typed repeated fields (float_data, int32_data, int64_data, double_data)
// and external data (a file relative to the model's folder). Every size is checked against the
// dims before anything is allocated.
//
// Example:
//   ASSIGN_OR_RETURN(Tensor w, TensorFromProto(init, "model.onnx", "/models"));
//   ASSIGN_OR_RETURN(Tensor x, ReadTensorProtoFile("test_data_set_0/input_0.pb"));
//   ASSIGN_OR_RETURN(Value s, ValueFromSequenceProto(seq_proto, "input_0.pb"));
#ifndef TENSORPORT_RUNTIME_TENSOR_PROTO_H_
#define TENSORPORT_RUNTIME_TENSOR_PROTO_H_

#include <map>
#include <string>

#include <onnx/onnx-data_pb.h>
#include <onnx/onnx_pb.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/tensor.h"
#include "runtime/value.h"

namespace tp {
namespace rt {

// `source` names the file for error messages; `base_dir` resolves external data ("" = none
// allowed).
absl::StatusOr<Tensor> TensorFromProto(const onnx::TensorProto& proto, absl::string_view source,
                                       const std::string& base_dir = "");

// The same, for a proto the caller gives up: a raw_data payload becomes the tensor's storage
// without a copy (the proto's raw_data is left empty); other encodings are converted as above and
// their fields cleared with their memory released.
absl::StatusOr<Tensor> TakeTensorFromProto(onnx::TensorProto* proto, absl::string_view source,
                                           const std::string& base_dir = "");

// Reads a serialized TensorProto file; also returns its name via `name` when non-null.
absl::StatusOr<Tensor> ReadTensorProtoFile(const std::string& path, std::string* name = nullptr);

// The initializers of a serialized onnx.GraphProto file by name: how test scripts hand a set of
// named tensors (inputs, expected outputs) to C++ tests.
absl::StatusOr<std::map<std::string, Tensor>> ReadTensorSetFile(const std::string& path);

// A sequence of tensors from an onnx.SequenceProto (sequences of sequences, maps and sparse
// tensors are Unimplemented). An empty sequence takes `empty_elem_type`.
absl::StatusOr<Value> ValueFromSequenceProto(const onnx::SequenceProto& proto,
                                             absl::string_view source,
                                             DType empty_elem_type = DType::kF32);

// The value of an onnx.OptionalProto: None, a tensor or a sequence.
absl::StatusOr<Value> ValueFromOptionalProto(const onnx::OptionalProto& proto,
                                             absl::string_view source);

// A TensorProto holding t in raw_data.
absl::StatusOr<onnx::TensorProto> TensorToProto(const Tensor& t, const std::string& name);

}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_TENSOR_PROTO_H_
