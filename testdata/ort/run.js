#!/usr/bin/env node
// Reference ONNX runner for elight tests, using onnxruntime-node (CPU).
//
//   node testdata/ort/run.js MODEL.onnx IN.npy OUT.npy
//
// Feeds the float32 .npy array IN.npy to the model's first graph input, runs
// it and writes the first graph output as a float32 .npy (format 1.0,
// little-endian, C order) to OUT.npy. ORT_GRAPH_OPT=disabled|basic|extended|all
// (default all) sets ORT's graph optimization level; with "disabled" ORT runs
// the graph as exported (e.g. without fusing Conv+BatchNormalization).
// Install once with
//   cd testdata/ort && npm install --ignore-scripts
'use strict';

const fs = require('fs');
const ort = require('onnxruntime-node');

function fail(msg) {
  process.stderr.write(`run.js: ${msg}\n`);
  process.exit(1);
}

// readNpy parses a .npy file holding little-endian C-order float32 ('<f4')
// or float64 ('<f8', converted to float32) data.
function readNpy(path) {
  const buf = fs.readFileSync(path);
  if (buf.length < 10 || buf.toString('latin1', 0, 6) !== '\x93NUMPY') {
    throw new Error(`${path}: not a .npy file (bad magic)`);
  }
  const major = buf[6];
  let headerLen;
  let off;
  if (major === 1) {
    headerLen = buf.readUInt16LE(8);
    off = 10;
  } else if (major === 2 || major === 3) {
    headerLen = buf.readUInt32LE(8);
    off = 12;
  } else {
    throw new Error(`${path}: unsupported .npy version ${major}.${buf[7]}`);
  }
  const header = buf.toString(major === 3 ? 'utf8' : 'latin1', off, off + headerLen);
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shape) throw new Error(`${path}: cannot parse header ${header.trim()}`);
  if (fortran[1] === 'True') throw new Error(`${path}: fortran_order arrays are not supported`);
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  const count = dims.reduce((a, b) => a * b, 1);
  const dataOff = off + headerLen;
  let data;
  if (descr[1] === '<f4') {
    if (buf.length - dataOff < count * 4) throw new Error(`${path}: truncated data`);
    data = new Float32Array(count);
    for (let i = 0; i < count; i++) data[i] = buf.readFloatLE(dataOff + 4 * i);
  } else if (descr[1] === '<f8') {
    if (buf.length - dataOff < count * 8) throw new Error(`${path}: truncated data`);
    data = new Float32Array(count);
    for (let i = 0; i < count; i++) data[i] = buf.readDoubleLE(dataOff + 8 * i);
  } else {
    throw new Error(`${path}: unsupported dtype ${descr[1]} (want <f4 or <f8)`);
  }
  return { dims, data };
}

// writeNpy writes float32 data as a version 1.0 .npy file.
function writeNpy(path, dims, data) {
  const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  const body = Buffer.alloc(4 * data.length);
  for (let i = 0; i < data.length; i++) body.writeFloatLE(data[i], 4 * i);
  fs.writeFileSync(path, Buffer.concat([head, Buffer.from(header, 'latin1'), body]));
}

async function main() {
  const args = process.argv.slice(2);
  if (args.length !== 3) fail('usage: node run.js MODEL.onnx IN.npy OUT.npy');
  const [modelPath, inPath, outPath] = args;
  const optLevel = process.env.ORT_GRAPH_OPT || 'all';
  if (!['disabled', 'basic', 'extended', 'all'].includes(optLevel)) {
    fail(`ORT_GRAPH_OPT=${optLevel}: want disabled, basic, extended or all`);
  }
  const input = readNpy(inPath);
  const session = await ort.InferenceSession.create(modelPath, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: optLevel,
    intraOpNumThreads: 2,
  });
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', input.data, input.dims) };
  const results = await session.run(feeds);
  const out = results[session.outputNames[0]];
  if (out.type !== 'float32') throw new Error(`output ${session.outputNames[0]} has type ${out.type}, want float32`);
  writeNpy(outPath, out.dims.map(Number), out.data);
}

main().catch((e) => fail(e && e.message ? e.message : String(e)));
