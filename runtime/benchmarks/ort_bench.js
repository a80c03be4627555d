// ONNX Runtime (onnxruntime-node) timings for bench_runtime.sh, in the same line format as
// bench_runtime.cc: "ort MODEL threads=T median_ms=X mean_abs_out=Y min_ms=Z".
// Usage: node ort_bench.js MODELS_DIR MODEL[,MODEL] THREADS[,THREADS] RUNS
const fs = require('fs');
const ort = require('onnxruntime-node');

async function bench(dir, name, threads, runs) {
  const base = `${dir}/${name}`;
  const feeds = {};
  for (const line of fs.readFileSync(`${base}.inputs.txt`, 'utf8').split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (!parts[0]) continue;
    const dims = parts.slice(1).map(Number);
    const buf = fs.readFileSync(`${base}.${parts[0]}.f32`);
    const data = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    feeds[parts[0]] = new ort.Tensor('float32', Float32Array.from(data), dims);
  }
  const options = {intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential'};
  // ORT_NO_SPIN=1: worker threads sleep instead of spinning between ops (spinning costs on a
  // loaded 2-core machine).
  if (process.env.ORT_NO_SPIN === '1') {
    options.extra = {session: {intra_op: {allow_spinning: '0'}}};
  }
  const session = await ort.InferenceSession.create(`${base}.onnx`, options);
  const times = [];
  let meanAbs = 0;
  for (let r = 0; r <= runs; ++r) {
    const t0 = process.hrtime.bigint();
    const out = await session.run(feeds);
    const t1 = process.hrtime.bigint();
    if (r === 0) {
      const v = out[session.outputNames[0]].data;
      for (let i = 0; i < v.length; ++i) meanAbs += Math.abs(v[i]);
      meanAbs /= Math.max(v.length, 1);
      continue;
    }
    times.push(Number(t1 - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  console.log(`ort ${name} threads=${threads} median_ms=${median.toFixed(2)} ` +
              `mean_abs_out=${meanAbs.toPrecision(6)} min_ms=${times[0].toFixed(2)}`);
}

(async () => {
  const [dir, models, threads, runs] = process.argv.slice(2);
  for (const m of models.split(',')) {
    for (const t of threads.split(',')) await bench(dir, m, Number(t), Number(runs));
  }
})().catch((e) => { console.error(e); process.exit(2); });
