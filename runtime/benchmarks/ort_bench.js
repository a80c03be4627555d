// ONNX Runtime (onnxruntime-node) timings for bench_runtime.sh, in the same line format as
// bench_runtime.cc: "ort MODEL threads=T runs_ms=a,b,c median_ms=X mean_abs_out=Y min_ms=Z".
// Usage: node ort_bench.js MODELS_DIR MODEL[,MODEL] THREADS[,THREADS] RUNS
//        node ort_bench.js MODELS_DIR --serve   (reads "MODEL THREADS RUNS" lines from stdin and
//                                                answers each; sessions are kept)
const fs = require('fs');
const readline = require('readline');
const ort = require('onnxruntime-node');

const sessions = new Map();
const feedsByModel = new Map();

function readFeeds(base) {
  const feeds = {};
  for (const line of fs.readFileSync(`${base}.inputs.txt`, 'utf8').split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (!parts[0]) continue;
    const dims = parts.slice(1).map(Number);
    const buf = fs.readFileSync(`${base}.${parts[0]}.f32`);
    const data = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    feeds[parts[0]] = new ort.Tensor('float32', Float32Array.from(data), dims);
  }
  return feeds;
}

async function bench(dir, name, threads, runs) {
  const base = `${dir}/${name}`;
  const key = `${name}/${threads}`;
  let session = sessions.get(key);
  const fresh = session === undefined;
  if (fresh) {
    // Defaults otherwise (graph optimizations 'all', spinning worker threads), as a new user
    // gets them. ORT_NO_SPIN=1 turns spinning off.
    const options = {intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential'};
    if (process.env.ORT_NO_SPIN === '1') {
      options.extra = {session: {intra_op: {allow_spinning: '0'}}};
    }
    session = await ort.InferenceSession.create(`${base}.onnx`, options);
    sessions.set(key, session);
  }
  if (!feedsByModel.has(name)) feedsByModel.set(name, readFeeds(base));
  const feeds = feedsByModel.get(name);
  const times = [];
  let meanAbs = 0;
  for (let r = fresh ? 0 : 1; r <= runs; ++r) {
    const t0 = process.hrtime.bigint();
    const out = await session.run(feeds);
    const t1 = process.hrtime.bigint();
    if (r === 0 || (r === 1 && !fresh)) {
      const v = out[session.outputNames[0]].data;
      for (let i = 0; i < v.length; ++i) meanAbs += Math.abs(v[i]);
      meanAbs /= Math.max(v.length, 1);
    }
    if (r === 0) continue;
    times.push(Number(t1 - t0) / 1e6);
  }
  const runsMs = times.map((t) => t.toFixed(2)).join(',');
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  console.log(`ort ${name} threads=${threads} runs_ms=${runsMs} median_ms=${median.toFixed(2)} ` +
              `mean_abs_out=${meanAbs.toPrecision(6)} min_ms=${times[0].toFixed(2)}`);
}

async function serve(dir) {
  const rl = readline.createInterface({input: process.stdin});
  for await (const line of rl) {
    const parts = line.trim().split(/\s+/);
    if (parts.length !== 3) {
      console.log(`error: expected "MODEL THREADS RUNS", got "${line}"`);
      continue;
    }
    try {
      await bench(dir, parts[0], Number(parts[1]), Number(parts[2]));
    } catch (e) {
      console.log(`error: ${String(e).split('\n')[0]}`);
    }
  }
}

(async () => {
  const [dir, models, threads, runs] = process.argv.slice(2);
  if (models === '--serve') return serve(dir);
  for (const m of models.split(',')) {
    for (const t of threads.split(',')) await bench(dir, m, Number(t), Number(runs));
  }
})().catch((e) => { console.error(e); process.exit(2); });
