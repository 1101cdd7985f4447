#!/usr/bin/env node
// Times onnxruntime-node on the forward pass elight's BenchmarkForwardVGG8
// times, so the two figures come from the same machine:
//
//   node testdata/ort/bench.js MODEL.onnx [BATCH] [SECONDS]
//
// Feeds a fixed pseudo-random float32 batch [BATCH, 3, 32, 32] to the first
// input, warms up, then runs for SECONDS and prints images per second.
'use strict';

const ort = require('onnxruntime-node');

async function main() {
  const [model, batchArg, secondsArg] = process.argv.slice(2);
  if (!model) {
    process.stderr.write('usage: node bench.js MODEL.onnx [BATCH] [SECONDS]\n');
    process.exit(2);
  }
  const batch = Number(batchArg || 32);
  const seconds = Number(secondsArg || 10);
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 2, interOpNumThreads: 1 });
  const data = new Float32Array(batch * 3 * 32 * 32);
  let seed = 1;
  for (let i = 0; i < data.length; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    data[i] = seed / 2147483648 - 0.5;
  }
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, [batch, 3, 32, 32]) };
  await session.run(feeds); // warm-up
  let runs = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < seconds) {
    await session.run(feeds);
    runs++;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  }
  const perSec = (runs * batch) / elapsed;
  console.log(`onnxruntime-node ${ort.env.versions ? ort.env.versions.common : ''} ${model} batch ${batch}: ${runs} runs in ${elapsed.toFixed(2)} s, ${perSec.toFixed(1)} images/s`);
}

main().catch((e) => {
  process.stderr.write(`bench.js: ${e.message}\n`);
  process.exit(1);
});
