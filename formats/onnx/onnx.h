// ONNX models as checkpoints: a model's initializers (its weights) with the graph's inputs,
// outputs, opsets and producer as metadata. Read-only.
//
// The model is parsed with the system ONNX protobuf (onnx::ModelProto) from the mapped file,
// through a CodedInputStream whose total-bytes limit is raised to protobuf's 2 GB maximum (models
// past that keep their weights in external data). Initializers holding raw_data are views into
// the parsed model (no further copy); typed fields (float_data, int32_data including F16/BF16 bit
// patterns and 8/16-bit integers, int64_data, double_data) are checked against the shape and
// copied. External data (data_location EXTERNAL: location, offset, length) is mapped from files
// relative to the model's folder (the folder of the model file after symlinks are resolved); a
// location that is absolute, contains "..", or resolves (through symlinks) outside that folder is
// refused. Supported element types: f32 f16 bf16 f64 i8 i16 i32 i64 u8 bool; others (strings,
// u16/u32/u64, complex, float8) are Unimplemented naming the type.
//
// Metadata keys: onnx.ir_version, onnx.producer_name, onnx.producer_version, onnx.domain,
// onnx.model_version, onnx.graph_name, onnx.opset.<domain> ("ai.onnx" for the default domain),
// onnx.input.N / onnx.output.N = "name:dtype[dims]" (symbolic dims by name, unknown as "?"),
// onnx.meta.<key> for metadata_props. Graph inputs that are initializers (IR < 4) are not listed.
//
// Example:
//   ASSIGN_OR_RETURN(Checkpoint ckpt, ReadOnnx("vocoder.onnx", {}));
//   const MetaValue* in0 = FindMeta(ckpt.metadata, "onnx.input.0");   // "mel:f32[1,80,T]"
#ifndef TENSORPORT_FORMATS_ONNX_ONNX_H_
#define TENSORPORT_FORMATS_ONNX_ONNX_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/checkpoint.h"
#include "formats/registry.h"

namespace tp {

// Reads initializers from serialized ModelProto bytes. `model_dir` resolves external data ("" to
// refuse any); `source` names the file in messages.
absl::StatusOr<Checkpoint> ParseOnnxModel(absl::string_view bytes, const std::string& model_dir,
                                          const std::string& source);

absl::StatusOr<Checkpoint> ReadOnnx(const std::string& path, const ReadOptions& options);

// Protobuf wire-format heuristics on the first bytes: a ModelProto starts with ir_version (field
// 1, varint) followed by known ModelProto fields.
bool LooksLikeOnnx(absl::string_view head, uint64_t file_size);

}  // namespace tp

#endif  // TENSORPORT_FORMATS_ONNX_ONNX_H_
