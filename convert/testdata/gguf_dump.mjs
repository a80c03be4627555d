// Dumps a GGUF file's metadata and tensor infos as JSON using the independent @huggingface/gguf
// parser, for check_converted.py. Usage: node gguf_dump.mjs FILE PEER_DIR
// (PEER_DIR holds node_modules/@huggingface/gguf, set up by tests/gguf_peer/setup.sh).
import { pathToFileURL } from "node:url";
import path from "node:path";

const [file, peerDir] = process.argv.slice(2);
const { gguf } = await import(
    pathToFileURL(path.join(peerDir, "node_modules/@huggingface/gguf/dist/index.mjs")).href);
const out = await gguf(file, { allowLocalFile: true });
const metadata = {};
for (const [k, v] of Object.entries(out.metadata)) {
  metadata[k] = typeof v === "bigint" ? Number(v) : v;
}
const tensors = out.tensorInfos.map((t) => ({
  name: t.name,
  shape: t.shape.map(Number),
  type: t.dtype,
  offset: Number(t.offset),
}));
console.log(JSON.stringify({ metadata, tensors, data_offset: Number(out.tensorDataOffset) },
                           (k, v) => (typeof v === "bigint" ? Number(v) : v)));
