// Reads PyTorch checkpoints (torch.save) without Python and without executing anything.
//
// Two layouts are understood:
//  * zip (the default since PyTorch 1.6): `<prefix>/data.pkl` holds the object pickle, each
//    storage is the stored entry `<prefix>/data/<key>` (mapped in place, never copied),
//    `<prefix>/byteorder` ("little" or "big"; absent means little) and `<prefix>/version`.
//    The prefix is taken from the archive (torch.save names it after the file or "archive").
//  * legacy (`_use_new_zipfile_serialization=False`): five pickles and raw data back to back:
//      magic number 0x1950a86a20f9469cfc6c | protocol version 1001 | sys_info dict
//      (little_endian, type_sizes) | the object pickle | a list of storage keys
//    then for each key in that list: an 8-byte element count followed by the storage's bytes.
//
// Persistent ids name storages: ('storage', torch.<T>Storage, key, location, numel[, view]).
// Tensors come from torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...) (also via
// _rebuild_parameter and _rebuild_from_type_v2) and become views with element strides, bounds-
// checked against their storage. The object tree is flattened: dict / OrderedDict / list / tuple
// nest into dotted names ("model.dec.ups.0.weight_v", "optimizer.state.3.exp_avg"); int, float,
// str, bool and None leaves become metadata; any other object becomes the metadata string
// "<module.qualname>" with its pickled __dict__ state nested under the same key. Globals that
// could run code in a Python unpickler (os.system, subprocess.Popen, builtins.eval, ...) are
// reported in Checkpoint::warnings.
//
// Example:
//   ReadOptions options;
//   options.select = "model";  // keep only the "model" sub-tree, names without "model."
//   ASSIGN_OR_RETURN(Checkpoint ckpt, ReadPyTorch("generator.pth", options));
//   for (const std::string& w : ckpt.warnings) std::cerr << "warning: " << w << "\n";
//   const Tensor* w = ckpt.Find("dec.ups.0.weight_v");
#ifndef TENSORPORT_FORMATS_PYTORCH_PYTORCH_READER_H_
#define TENSORPORT_FORMATS_PYTORCH_PYTORCH_READER_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/checkpoint.h"
#include "formats/registry.h"

namespace tp {

// Reads a zip or legacy PyTorch checkpoint. Bad input gives one-line errors naming the file,
// the item, what was found and what was expected: OutOfRange for truncation, InvalidArgument for
// malformed content, NotFound for a missing storage or an unmatched `select`.
absl::StatusOr<Checkpoint> ReadPyTorch(const std::string& path, const ReadOptions& options = {});

// Detector used by the registry: a ZIP whose first entry is `<prefix>/data.pkl`, or a legacy
// pickle that starts with the PyTorch magic number.
bool LooksLikePyTorch(absl::string_view head, uint64_t file_size);

}  // namespace tp

#endif  // TENSORPORT_FORMATS_PYTORCH_PYTORCH_READER_H_
