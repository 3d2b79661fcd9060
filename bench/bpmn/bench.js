'use strict';
// The peer of bench/runtime_bench.cpp: the same joint review (three parallel
// reviews, a join, the permit) on the bpmn-engine npm package. Each instance
// is started, then each user task is signalled in turn. With saving on, the
// engine's state (engine.getState(), as JSON) is written to SQLite through
// better-sqlite3 after the start and after every signal: 5 autocommit
// transactions per instance, WAL, synchronous FULL or NORMAL.
//
//   node bench.js [--instances N] [--runs R] [--modes memory,full,normal] [--dir DIR]
//
// Prints one line per run and a "BPMN_SUMMARY mode=... median=..." line per
// mode (instances per second, median over the runs).
const fs = require('node:fs');
const path = require('node:path');
const { Engine } = require('bpmn-engine');
const Database = require('better-sqlite3');

function parseArgs(argv) {
  const opts = { instances: 300, runs: 5, modes: ['memory', 'full', 'normal'], dir: path.join(__dirname, 'data') };
  for (let i = 2; i < argv.length; i++) {
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${argv[i]} needs a value`);
      return argv[++i];
    };
    switch (argv[i]) {
      case '--instances': opts.instances = Number(value()); break;
      case '--runs': opts.runs = Number(value()); break;
      case '--modes': opts.modes = value().split(',').filter(Boolean); break;
      case '--dir': opts.dir = value(); break;
      default: throw new Error(`unknown option ${argv[i]}`);
    }
  }
  return opts;
}

const source = fs.readFileSync(path.join(__dirname, 'joint_review.bpmn'), 'utf8');
const TASKS = ['land_review', 'planning_review', 'eia_review', 'permit'];

function openStore(file, synchronous) {
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.exec('CREATE TABLE instances(id TEXT PRIMARY KEY, state TEXT NOT NULL)');
  const upsert = db.prepare(
    'INSERT INTO instances(id, state) VALUES(?, ?) ON CONFLICT(id) DO UPDATE SET state = excluded.state');
  return {
    async save(id, engine) {
      const state = await engine.getState();
      upsert.run(id, JSON.stringify(state));
    },
    close() {
      db.close();
      for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
    },
  };
}

async function runInstance(id, store) {
  const engine = new Engine({ name: id, source });
  let ended = false;
  engine.once('end', () => {
    ended = true;
  });
  const execution = await engine.execute();
  if (store) await store.save(id, engine);
  for (const task of TASKS) {
    const waiting = execution.getPostponed().some((api) => api.id === task);
    if (!waiting) throw new Error(`${id}: ${task} is not waiting`);
    execution.signal({ id: task });
    if (store) await store.save(id, engine);
  }
  if (!ended || execution.state !== 'idle') throw new Error(`${id}: not completed after the permit`);
}

async function runOnce(opts, mode, run) {
  const store = mode === 'memory' ? null : openStore(path.join(opts.dir, `bpmn-${mode}.db`), mode.toUpperCase());
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < opts.instances; i++) await runInstance(`r${run}-${i}`, store);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (store) store.close();
  return opts.instances / seconds;
}

// The installed version of a package, read from its package.json on disk
// (bpmn-engine's "exports" map does not expose it to require()).
function versionOf(name) {
  const file = path.join(__dirname, 'node_modules', name, 'package.json');
  return JSON.parse(fs.readFileSync(file, 'utf8')).version;
}

function median(values) {
  const v = [...values].sort((a, b) => a - b);
  const n = v.length;
  return n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

async function main() {
  const opts = parseArgs(process.argv);
  fs.mkdirSync(opts.dir, { recursive: true });
  console.log(`bpmn-engine ${versionOf('bpmn-engine')}, better-sqlite3 ` +
    `${versionOf('better-sqlite3')}, node ${process.version}: ` +
    `${opts.instances} instances, ${opts.runs} runs`);
  await runInstance('warm-up', null);
  const results = Object.fromEntries(opts.modes.map((m) => [m, []]));
  for (let run = 1; run <= opts.runs; run++) {
    // Modes alternate inside each run so that noise hits all of them.
    const line = [];
    for (const mode of opts.modes) {
      const rate = await runOnce(opts, mode, run);
      results[mode].push(rate);
      line.push(`${mode} ${rate.toFixed(1)} inst/s`);
    }
    console.log(`run ${run}: ${line.join('  ')}`);
  }
  for (const mode of opts.modes) {
    const r = results[mode];
    console.log(`BPMN_SUMMARY mode=${mode} runs=${r.length} median=${median(r).toFixed(1)} ` +
      `min=${Math.min(...r).toFixed(1)} max=${Math.max(...r).toFixed(1)}`);
  }
}

main().catch((err) => {
  console.error(`bench.js: ${err.stack || err}`);
  process.exit(1);
});
