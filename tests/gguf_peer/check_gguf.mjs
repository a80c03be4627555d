// Independent check of a GGUF file that tensorport wrote, using the @huggingface/gguf parser.
// Compares names, shapes, ggml types, metadata (types and values) and tensor bytes (read at the
// offsets the parser reports) with an expected JSON made by formats/gguf/make_fixtures.py, and
// checks alignment and the padding after the last tensor.
// Usage: node check_gguf.mjs FILE EXPECTED.json [ALIGNMENT]   (exit 0 when they agree)
import { readFileSync } from "node:fs";
import { gguf } from "@huggingface/gguf";

const [file, expectedPath, alignmentArg] = process.argv.slice(2);
const alignment = BigInt(alignmentArg ?? "32");
const expected = JSON.parse(readFileSync(expectedPath, "utf8"));
const bytes = readFileSync(file);
const errors = [];
const fail = (msg) => errors.push(msg);

const TYPE_NAMES = ["u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "string", "array", "u64", "i64", "f64"];

function floatBits(x) {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x, true);
  return "f" + view.getBigUint64(0, true).toString(16).padStart(16, "0");
}

// The canonical rendering of formats/gguf/make_fixtures.py. Element types of arrays nested inside
// arrays are not reported by the parser: there, integers render as integers and others as floats.
function render(type, value, subType) {
  if (type === 9) return "[" + value.map((v) => render(subType, v, undefined)).join(",") + "]";
  if (type === undefined) {
    if (Array.isArray(value)) return "[" + value.map((v) => render(undefined, v)).join(",") + "]";
    if (typeof value === "string") return render(8, value);
    if (typeof value === "boolean") return render(7, value);
    if (typeof value === "bigint" || Number.isInteger(value)) return value.toString();
    return floatBits(value);
  }
  if (type === 8) return "s" + Buffer.from(value, "utf8").toString("hex");
  if (type === 7) return value ? "true" : "false";
  if (type === 6 || type === 12) return floatBits(Number(value));
  return value.toString();
}

const alignUp = (x, a) => ((x + a - 1n) / a) * a;

const out = await gguf(file, { allowLocalFile: true, typedMetadata: true });
const meta = out.typedMetadata;
if (meta.version.value !== 3) fail(`version ${meta.version.value}, expected 3`);

// Metadata: same keys in the same order, same types and values; general.alignment only when not 32.
const gotKeys = Object.keys(meta).filter((k) => !["version", "tensor_count", "kv_count"].includes(k));
const want = expected.metadata.filter((m) => m.key !== "general.alignment");
if (alignment !== 32n) {
  want.splice(1, 0, { key: "general.alignment", type: "u32", element_type: "", value: alignment.toString() });
}
const wantKeys = want.map((m) => m.key);
if (JSON.stringify(gotKeys) !== JSON.stringify(wantKeys)) {
  // general.alignment's position is the writer's choice; compare as sets then.
  if (JSON.stringify([...gotKeys].sort()) !== JSON.stringify([...wantKeys].sort())) {
    fail(`metadata keys ${JSON.stringify(gotKeys)} != expected ${JSON.stringify(wantKeys)}`);
  }
}
for (const m of want) {
  const got = meta[m.key];
  if (!got) continue;
  const gotType = TYPE_NAMES[got.type];
  const gotSub = got.subType === undefined ? "" : TYPE_NAMES[got.subType];
  if (gotType !== m.type || gotSub !== m.element_type) {
    fail(`metadata ${m.key}: type ${gotType}<${gotSub}> != expected ${m.type}<${m.element_type}>`);
  }
  const value = render(got.type, got.value, got.subType);
  if (value !== m.value) fail(`metadata ${m.key}: ${value} != expected ${m.value}`);
}

// Tensors.
const infos = out.tensorInfos;
if (infos.length !== expected.tensors.length) fail(`${infos.length} tensors, expected ${expected.tensors.length}`);
const dataStart = BigInt(out.tensorDataOffset);
if (dataStart % alignment !== 0n) fail(`data section at ${dataStart} is not aligned to ${alignment}`);
let end = dataStart;
for (let i = 0; i < Math.min(infos.length, expected.tensors.length); ++i) {
  const got = infos[i];
  const t = expected.tensors[i];
  if (got.name !== t.name) fail(`tensor ${i}: name ${got.name} != expected ${t.name}`);
  const shape = got.shape.map((d) => Number(d)).reverse();
  if (JSON.stringify(shape) !== JSON.stringify(t.shape)) {
    fail(`tensor ${t.name}: shape ${JSON.stringify(shape)} != expected ${JSON.stringify(t.shape)}`);
  }
  if (got.dtype !== t.ggml_type) fail(`tensor ${t.name}: ggml type ${got.dtype} != expected ${t.ggml_type}`);
  const offset = BigInt(got.offset);
  if (offset % alignment !== 0n) fail(`tensor ${t.name}: offset ${offset} not aligned to ${alignment}`);
  const size = BigInt(t.hex.length / 2);
  const begin = dataStart + offset;
  if (begin + size > BigInt(bytes.length)) {
    fail(`tensor ${t.name}: data runs past the end of the file`);
    continue;
  }
  const data = bytes.subarray(Number(begin), Number(begin + size)).toString("hex");
  if (data !== t.hex) fail(`tensor ${t.name}: data ${data.slice(0, 32)}... != expected ${t.hex.slice(0, 32)}...`);
  if (begin + size > end) end = begin + size;
}
// Padding after the last tensor: the file ends on an alignment boundary.
if (BigInt(bytes.length) !== alignUp(end, alignment)) {
  fail(`file is ${bytes.length} bytes, expected ${alignUp(end, alignment)} (data padded to ${alignment})`);
}

if (errors.length) {
  for (const e of errors) console.error("check_gguf: " + e);
  process.exit(1);
}
console.log(`check_gguf: OK (${infos.length} tensors, ${want.length} metadata keys)`);
