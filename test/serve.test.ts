// `trunkline serve` over real HTTP on 127.0.0.1 (ephemeral ports): every route, every kind
// of bad input, micro-batching, the write routes' token, the feedback log, a hot swap
// under load with no failed request, A/B routing and ab-report, and a server killed with
// SIGKILL during a feedback burst whose acknowledged rows must all be in a readable log.
import test from 'ava';
import { spawn } from 'node:child_process';
import { appendFileSync, cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { tempDir } from './helpers/tmp.js';
import { shopConfig, shopRows, toCsv, type ShopRow } from './helpers/cli-fixtures.js';
import { buildServer, ServedModel } from '../src/serve/index.js';
import { checkRows } from '../src/serve/rows.js';
import * as trunkline from '../src/index.js';
import type { ServeOptions } from '../src/serve/options.js';
import { abReport } from '../src/serve/ab-report.js';
import { FeedbackLog } from '../src/serve/feedback-log.js';
import { readFeedback } from '../src/serve/feedback-read.js';
import { MicroBatcher } from '../src/serve/batcher.js';
import { checkRows } from '../src/serve/rows.js';
import { feedbackToCsv, readFeedbackTable } from '../src/serve/feedback-table.js';

const ROOT = join(import.meta.dirname, '..');
const MAIN = join(ROOT, 'src', 'cli', 'main.ts');
// tsx by URL: the children run in temp directories, where a bare 'tsx' would not resolve.
const TSX = import.meta.resolve('tsx');

/** The CLI from source (tsx), so these tests do not depend on a fresh dist/. */
function runCli(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, MAIN, ...args], { cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

// Each test sets the write token it means; one from the environment would change them.
delete process.env.TRUNKLINE_TOKEN;

// Two small runs on the synthetic shop data (a few seconds): A and B differ in epochs.
const work = tempDir();
writeFileSync(join(work, 'train.csv'), toCsv(shopRows(800, 1)));
writeFileSync(join(work, 'shop.json'), JSON.stringify(shopConfig({ epochs: 3 })));
writeFileSync(join(work, 'shop1.json'), JSON.stringify(shopConfig({ epochs: 1 })));

let trained: Promise<{ a: string; b: string }> | null = null;
function models(): Promise<{ a: string; b: string }> {
  trained ??= (async () => {
    const train = async (config: string, out: string) => {
      const r = await runCli(['train', '--data', 'train.csv', '--config', config, '--out', out, '--no-progress'], work);
      if (r.code !== 0) throw new Error(`training the test model failed:\n${r.stdout}\n${r.stderr}`);
      return join(work, out, readdirSync(join(work, out))[0]);
    };
    const a = await train('shop.json', 'runs-a');
    const b = await train('shop1.json', 'runs-b');
    // Distinct model ids (the run directory names can collide within one second).
    const named = (src: string, name: string) => {
      cpSync(src, join(work, 'models', name), { recursive: true });
      return join(work, 'models', name);
    };
    return { a: named(a, 'model-a'), b: named(b, 'model-b') };
  })();
  return trained;
}

const rows = shopRows(64, 9);
const features = ({ age, region, tags, title }: ShopRow) => ({ age: age === 'NA' ? null : Number(age), region, tags, title });
const labelled = (r: ShopRow, extra: Record<string, unknown> = {}) => ({ ...features(r), clicked: r.clicked, segment: r.segment, spend: Number(r.spend), ...extra });

async function start(models: string | string[], options: ServeOptions = {}): Promise<{ app: FastifyInstance; url: string }> {
  const app = await buildServer(models, { port: 0, ...options });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  if (!addr || typeof addr !== 'object') throw new Error('no address');
  return { app, url: `http://127.0.0.1:${addr.port}` };
}

interface Reply {
  status: number;
  body: any;
  text: string;
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return reply(res);
}

async function get(url: string): Promise<Reply> {
  return reply(await fetch(url));
}

/** Status, text and the JSON body (null where the body is not JSON, as /metrics). */
async function reply(res: Response): Promise<Reply> {
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: left null, the test says so
  }
  return { status: res.status, body: parsed, text };
}

test('POST /predict answers every task per row, names the model, and matches predictRows', async (t) => {
  const { a } = await models();
  const { app, url } = await start(a);
  t.teardown(() => app.close());
  const one = await post(`${url}/predict`, { row: features(rows[0]) });
  t.is(one.status, 200, one.text);
  t.is(one.body.model, 'model-a');
  t.is(one.body.predictions.length, 1);
  const p = one.body.predictions[0];
  t.is(p.model, 'model-a');
  t.true(p.tasks.clicked.probability > 0 && p.tasks.clicked.probability < 1);
  t.true(['A', 'B', 'C'].includes(p.tasks.segment.class));
  const sum = Object.values(p.tasks.segment.probabilities as Record<string, number>).reduce((s, v) => s + v, 0);
  t.true(Math.abs(sum - 1) < 1e-5, `class probabilities sum to ${sum}`);
  t.true(Number.isFinite(p.tasks.spend.value));

  const many = await post(`${url}/predict`, { rows: rows.slice(0, 10).map(features) });
  t.is(many.status, 200, many.text);
  const direct = ServedModel.load(a).predictRows(rows.slice(0, 10).map(features));
  many.body.predictions.forEach((q: any, i: number) => {
    t.true(Math.abs(q.tasks.clicked.probability - (direct[i].clicked as { probability: number }).probability) < 1e-5);
  });

  // An unseen category, a missing value and a multi-hot cell as an array are not errors.
  const odd = await post(`${url}/predict`, { row: { age: null, region: 'atlantis', tags: ['sport', 'never-seen'], title: '' } });
  t.is(odd.status, 200, odd.text);
  t.true(Number.isFinite(odd.body.predictions[0].tasks.clicked.probability));
});

test('concurrent single-row requests get the answers one request with all the rows gets', async (t) => {
  const { a } = await models();
  const { app, url } = await start(a, { batchWindowMs: 5 });
  t.teardown(() => app.close());
  const batch = await post(`${url}/predict`, { rows: rows.slice(0, 24).map(features) });
  const singles = await Promise.all(rows.slice(0, 24).map((r) => post(`${url}/predict`, { row: features(r) })));
  singles.forEach((s, i) => {
    t.is(s.status, 200, s.text);
    t.true(Math.abs(s.body.predictions[0].tasks.clicked.probability - batch.body.predictions[i].tasks.clicked.probability) < 1e-5);
  });
});

test('the micro-batcher runs requests queued within its window as one forward pass, the model read per batch', async (t) => {
  const { a, b } = await models();
  const first = ServedModel.load(a);
  const second = ServedModel.load(b);
  let current = first;
  const batches: [string, number][] = [];
  const batcher = new MicroBatcher(() => current, { windowMs: 5, maxBatchRows: 64 }, (m, n) => batches.push([m.id, n]));
  const block = (r: ShopRow) => checkRows([features(r)], first.columns);
  const answers = await Promise.all(rows.slice(0, 24).map((r) => batcher.submit(block(r))));
  t.deepEqual(batches, [['model-a', 24]], 'one forward pass for 24 requests');
  t.true(answers.every((x) => x.model === first && x.answers.length === 1));
  // More rows than maxBatchRows: passes of at most 64 rows; a swap applies from the next batch.
  batches.length = 0;
  const pending = rows.concat(rows).slice(0, 100).map((r) => batcher.submit(block(r)));
  current = second;
  const later = await Promise.all(pending);
  t.deepEqual(batches, [
    ['model-a', 64],
    ['model-b', 36],
  ]);
  t.is(later[0].model, first);
  t.is(later[99].model, second);
});

test('bad input is a 4xx naming the problem, and the server keeps serving', async (t) => {
  const { a } = await models();
  const { app, url } = await start(a, { maxRowsPerRequest: 8, bodyLimit: 4096 });
  t.teardown(() => app.close());
  const good = features(rows[0]);
  const cases: [string, unknown, number, string, RegExp][] = [
    ['malformed JSON', '{"rows": [', 400, 'malformed_json', /not valid JSON/],
    ['a NaN literal', '{"row": {"age": NaN}}', 400, 'malformed_json', /JSON/],
    ['body not an object', '[1, 2]', 400, 'body_not_object', /JSON object/],
    ['body a string', '"hello"', 400, 'body_not_object', /JSON object/],
    ['no rows', { data: [] }, 400, 'no_rows', /"rows"/],
    ['rows not an array', { rows: {} }, 400, 'rows_not_array', /array/],
    ['a row not an object', { rows: [good, 3] }, 400, 'row_not_object', /row 1/],
    ['missing feature column', { row: { ...good, region: undefined } }, 400, 'missing_column', /missing feature column 'region'/],
    ['text in a numeric column', { row: { ...good, age: 'forty' } }, 400, 'wrong_type', /column 'age' is numeric/],
    ['an object in a categorical column', { row: { ...good, region: { a: 1 } } }, 400, 'wrong_type', /column 'region'/],
    ['"NaN" in a numeric column', { row: { ...good, age: 'NaN' } }, 400, 'not_finite', /not a finite number/],
    ['"Infinity" in a numeric column', { row: { ...good, age: 'Infinity' } }, 400, 'not_finite', /not a finite number/],
    ['a number that overflows to Infinity', '{"row": {"age": 1e999, "region": "north", "tags": "food", "title": "x"}}', 400, 'not_finite', /Infinity/],
    ['empty rows', { rows: [] }, 400, 'empty_rows', /empty/],
    ['too many rows', { rows: Array.from({ length: 9 }, () => good) }, 413, 'too_many_rows', /limit is 8/],
    ['body over the size limit', { rows: [{ ...good, title: 'x'.repeat(5000) }] }, 413, 'body_too_large', /4096 bytes/],
  ];
  for (const [what, body, status, kind, message] of cases) {
    const r = await post(`${url}/predict`, body);
    t.is(r.status, status, `${what}: ${r.text}`);
    t.is(r.body?.error, kind, `${what}: ${r.text}`);
    t.regex(r.body?.message ?? '', message, what);
  }
  const form = await fetch(`${url}/predict`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'age=3' });
  t.is(form.status, 415);
  t.regex(((await form.json()) as { message: string }).message, /application\/json/);
  const unknown = await get(`${url}/v2/predict`);
  t.is(unknown.status, 404);
  t.is(unknown.body.error, 'not_found');
  const wrongMethod = await get(`${url}/predict`);
  t.is(wrongMethod.status, 404);

  const after = await post(`${url}/predict`, { row: good });
  t.is(after.status, 200, 'still serving after the bad requests');
  const metrics = (await get(`${url}/metrics`)).text;
  t.regex(metrics, /trunkline_errors_total\{kind="wrong_type"\} 2/);
  t.regex(metrics, /trunkline_errors_total\{kind="too_many_rows"\} 1/);
  t.regex(metrics, /trunkline_errors_total\{kind="not_found"\} 2/);
});

test('GET /health, /model and /metrics (server started by serve() from the package entry)', async (t) => {
  const { a } = await models();
  const app = await trunkline.serve(a, { port: 0 });
  t.teardown(() => app.close());
  const addr = app.server.address();
  if (!addr || typeof addr !== 'object') throw new Error('no address');
  t.is(addr.address, '127.0.0.1', 'binds 127.0.0.1 by default');
  const url = `http://127.0.0.1:${addr.port}`;
  await post(`${url}/predict`, { rows: rows.slice(0, 5).map(features) });
  const health = await get(`${url}/health`);
  t.is(health.status, 200);
  t.deepEqual(health.body, { status: 'ok', models: { default: 'model-a' } });
  const model = await get(`${url}/model`);
  t.is(model.status, 200);
  t.is(model.body.id, 'model-a');
  t.is(model.body.architecture, 'shared-bottom');
  t.deepEqual(
    model.body.tasks.map((x: { name: string }) => x.name),
    ['clicked', 'segment', 'spend'],
  );
  t.deepEqual(
    model.body.features.map((x: { column: string }) => x.column),
    ['age', 'region', 'tags', 'title'],
  );
  t.truthy(model.body.trainingMetrics, 'the run directory has metrics.json');
  t.false(Number.isNaN(Date.parse(model.body.loadedAt)));
  const metrics = await fetch(`${url}/metrics`);
  t.regex(metrics.headers.get('content-type') ?? '', /text\/plain/);
  const text = await metrics.text();
  t.regex(text, /# TYPE trunkline_request_duration_seconds histogram/);
  t.regex(text, /trunkline_requests_total\{route="\/predict",status="200"\} 1/);
  t.regex(text, /trunkline_rows_total\{arm="default",model="model-a"\} 5/);
  t.regex(text, /trunkline_batch_rows_bucket\{arm="default",model="model-a",le="\+Inf"\} 1/);
  t.regex(text, /trunkline_model_info\{arm="default",model="model-a",loaded_at="[^"]+"\} 1/);
});

test('the write routes are off without a token, and need the bearer token when one is set', async (t) => {
  const { a } = await models();
  const fb = tempDir();
  const off = await start(a, { feedbackDir: fb, token: undefined });
  t.teardown(() => off.app.close());
  for (const route of ['/feedback', '/admin/reload']) {
    const r = await post(`${off.url}${route}`, { rows: [labelled(rows[0])], model: a });
    t.is(r.status, 403, r.text);
    t.is(r.body.error, 'writes_off');
    t.regex(r.body.message, /--token/);
  }
  const guarded = await start(a, { feedbackDir: fb, token: 's3cret' });
  t.teardown(() => guarded.app.close());
  t.is((await post(`${guarded.url}/feedback`, { rows: [labelled(rows[0])] })).status, 401);
  t.is((await post(`${guarded.url}/feedback`, { rows: [labelled(rows[0])] }, { authorization: 'Bearer wrong' })).status, 401);
  const ok = await post(`${guarded.url}/feedback`, { rows: [labelled(rows[0])] }, { authorization: 'Bearer s3cret' });
  t.is(ok.status, 200, ok.text);
  t.is(ok.body.written, 1);
});

test('POST /feedback writes labelled rows, with the serving model, to a log that reads back', async (t) => {
  const { a } = await models();
  const fb = tempDir();
  const { app, url } = await start(a, { feedbackDir: fb, allowUnauthenticatedWrites: true });
  t.teardown(() => app.close());
  const sent = rows.slice(0, 6).map((r, i) => labelled(r, { user_id: `u${i}` }));
  sent[5] = { ...sent[5], spend: null as unknown as number }; // a row may lack some labels
  const r = await post(`${url}/feedback`, { rows: sent });
  t.is(r.status, 200, r.text);
  t.is(r.body.written, 6);
  const bad = await post(`${url}/feedback`, { rows: [labelled(rows[0], { clicked: 'maybe' })] });
  t.is(bad.status, 400);
  t.is(bad.body.error, 'bad_label');
  const noLabel = await post(`${url}/feedback`, { rows: [features(rows[0])] });
  t.is(noLabel.status, 400);
  t.is(noLabel.body.error, 'no_labels');
  const off = await start(a, { allowUnauthenticatedWrites: true });
  t.teardown(() => off.app.close());
  t.is((await post(`${off.url}/feedback`, { rows: sent })).status, 404, 'no --feedback-dir: /feedback is off');

  const read = readFeedback([fb]);
  t.is(read.entries.length, 6);
  t.is(read.skipped.length, 0);
  const e = read.entries[0];
  t.is(e.model, 'model-a');
  t.is(e.arm, 'default');
  t.is(e.row.user_id, 'u0');
  t.is(e.labels.clicked, rows[0].clicked === 'yes' ? 1 : 0);
  t.is(e.labels.segment, rows[0].segment);
  t.is(e.labels.spend, Number(rows[0].spend));
  t.is(read.entries[5].labels.spend, null);
  t.truthy((e.prediction as any).clicked.probability);
});

/** A feedback log of 300 labelled rows (in requests of 100) written by a server for model `a`; its directory. */
async function feedbackLog(t: import('ava').ExecutionContext, a: string, seed: number): Promise<string> {
  const fb = tempDir();
  const { app, url } = await start(a, { feedbackDir: fb, allowUnauthenticatedWrites: true });
  t.teardown(() => app.close());
  const sent = shopRows(300, seed).map((r, i) => labelled(r, { user_id: `u${i}` }));
  for (let s = 0; s < sent.length; s += 100) t.is((await post(`${url}/feedback`, { rows: sent.slice(s, s + 100) })).status, 200);
  return fb;
}

test.serial('the feedback log, as CSV, continues training with train --resume', async (t) => {
  const { a } = await models();
  const fb = await feedbackLog(t, a, 21);
  const csv = join(fb, 'feedback.csv');
  t.deepEqual(feedbackToCsv([fb], csv), { rows: 300, skipped: 0 });
  const { table } = readFeedbackTable([fb], { types: ServedModel.load(a).pipeline.schema() });
  t.is(table.numRows, 300);
  const r = await runCli(['train', '--resume', a, '--data', csv, '--epochs', '1', '--out', join(fb, 'runs'), '--no-progress'], work);
  t.is(r.code, 0, `${r.stdout}\n${r.stderr}`);
  t.is(readdirSync(join(fb, 'runs')).length, 1);
});

test.serial('train --resume reads the feedback log directly: its directory or its .jsonl files', async (t) => {
  const { a } = await models();
  const fb = await feedbackLog(t, a, 22);
  const out = tempDir();
  const r = await runCli(['train', '--resume', a, '--data', fb, '--epochs', '1', '--out', out, '--no-progress'], work);
  t.is(r.code, 0, `${r.stdout}\n${r.stderr}`);
  t.regex(r.stdout, /feedback log: 300 rows from 1 file/);
  t.is(readdirSync(out).length, 1);
  const bad = await runCli(['train', '--resume', a, '--data', `${fb},${join(fb, 'x.csv')}`, '--epochs', '1', '--out', out, '--no-progress'], work);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /x\.csv is not a feedback log/);
});

test('the feedback reader skips a torn last line and the writer cuts it before appending', async (t) => {
  const dir = tempDir();
  const log = new FeedbackLog(dir);
  await log.append([{ time: 't', model: 'm', arm: 'x', row: { a: 1 }, labels: {}, prediction: {} }]);
  await log.close();
  const file = log.currentFile();
  appendFileSync(file, '{"time":"t","model":"m","ro');
  const torn = readFeedback([dir]);
  t.is(torn.entries.length, 1);
  t.is(torn.skipped.length, 1);
  t.regex(torn.skipped[0].reason, /unfinished/);
  const again = new FeedbackLog(dir);
  await again.append([{ time: 't2', model: 'm', arm: 'x', row: { a: 2 }, labels: {}, prediction: {} }]);
  await again.close();
  const repaired = readFeedback([dir]);
  t.deepEqual(
    repaired.entries.map((e) => e.row.a),
    [1, 2],
  );
  t.is(repaired.skipped.length, 0);
  t.true(readFileSync(file, 'utf8').endsWith('\n'));
});

test.serial('a hot swap under load fails no request; a model that does not load leaves the old one serving', async (t) => {
  const { a, b } = await models();
  const { app, url } = await start(a, { allowUnauthenticatedWrites: true });
  t.teardown(() => app.close());
  let stop = false;
  const seen: string[] = [];
  const failures: string[] = [];
  const client = async (k: number) => {
    let i = 0;
    while (!stop && i < 400) {
      const r = await post(`${url}/predict`, i % 2 ? { row: features(rows[(k + i) % rows.length]) } : { rows: rows.slice(0, 4).map(features) });
      if (r.status !== 200) failures.push(`${r.status} ${r.text}`);
      else seen.push(r.body.model);
      i++;
    }
  };
  const clients = Array.from({ length: 8 }, (_, k) => client(k));
  await new Promise((r) => setTimeout(r, 300));
  const failed = await post(`${url}/admin/reload`, { model: join(work, 'no-such-run') });
  t.is(failed.status, 422);
  t.is(failed.body.error, 'load_failed');
  t.regex(failed.body.message, /no saved model here.*still serving model-a/);
  const swap = await post(`${url}/admin/reload`, { model: b });
  t.is(swap.status, 200, swap.text);
  t.deepEqual({ model: swap.body.model, previous: swap.body.previous }, { model: 'model-b', previous: 'model-a' });
  const afterSwap = seen.length;
  await new Promise((r) => setTimeout(r, 300));
  stop = true;
  await Promise.all(clients);
  t.deepEqual(failures, [], 'no failed request');
  t.true(seen.slice(0, 10).every((m) => m === 'model-a'));
  t.true(seen.length > afterSwap, 'requests were answered after the swap');
  t.true(
    seen.slice(afterSwap + 8 * 2).every((m) => m === 'model-b'),
    'after the swap (and the requests already in flight), model-b answers',
  );
  t.is((await get(`${url}/health`)).body.models.default, 'model-b');
  t.is((await post(`${url}/admin/reload`, {})).status, 400);
});

test.serial('A/B arms: a key always meets the same arm, the split is close to its weights, /metrics and ab-report are per arm', async (t) => {
  const { a, b } = await models();
  const fb = tempDir();
  const { app, url } = await start([`a=${a}`, `b=${b}`], { split: 'a=0.7,b=0.3', splitKey: 'user_id', feedbackDir: fb, allowUnauthenticatedWrites: true });
  t.teardown(() => app.close());
  const users = Array.from({ length: 400 }, (_, i) => `user-${i}`);
  const armOf = new Map<string, string>();
  for (let start = 0; start < users.length; start += 100) {
    const chunk = users.slice(start, start + 100).map((u, i) => ({ ...features(rows[(start + i) % rows.length]), user_id: u }));
    const r = await post(`${url}/predict`, { rows: chunk });
    t.is(r.status, 200, r.text);
    r.body.predictions.forEach((p: { arm: string; model: string }, i: number) => {
      t.is(p.model, p.arm === 'a' ? 'model-a' : 'model-b');
      armOf.set(chunk[i].user_id, p.arm);
    });
  }
  const shareA = [...armOf.values()].filter((x) => x === 'a').length / users.length;
  t.true(shareA > 0.6 && shareA < 0.8, `arm a got ${shareA} of the keys, weight 0.7`);
  // The same keys again, one row per request: the same arms.
  for (const u of users.slice(0, 20)) {
    const r = await post(`${url}/predict`, { row: { ...features(rows[0]), user_id: u } });
    t.is(r.body.arm, armOf.get(u), `user ${u}`);
  }
  // A bad row is named by its place in the request, whichever arm it went to.
  const mixed = users.slice(0, 60).map((u, i) => ({ ...features(rows[i % rows.length]), user_id: u, ...(i === 57 ? { age: 'old' } : {}) }));
  const bad = await post(`${url}/predict`, { rows: mixed });
  t.is(bad.status, 400);
  t.regex(bad.body.message, /^row 57, column 'age'/);
  const model = await get(`${url}/model`);
  t.deepEqual(
    model.body.arms.map((x: { arm: string; weight: number }) => [x.arm, x.weight]),
    [
      ['a', 0.7],
      ['b', 0.3],
    ],
  );
  const metrics = (await get(`${url}/metrics`)).text;
  t.regex(metrics, /trunkline_rows_total\{arm="a",model="model-a"\} \d+/);
  t.regex(metrics, /trunkline_rows_total\{arm="b",model="model-b"\} \d+/);

  const fbRows = shopRows(300, 11).map((r, i) => labelled(r, { user_id: `user-${i}` }));
  for (let s = 0; s < fbRows.length; s += 100) t.is((await post(`${url}/feedback`, { rows: fbRows.slice(s, s + 100) })).status, 200);
  const report = abReport([fb]);
  t.is(report.entries, 300);
  const auc = report.rows.filter((r) => r.task === 'clicked').map((r) => [r.arm, r.metrics.auc]);
  t.deepEqual(
    auc.map(([arm]) => arm),
    ['a', 'b'],
  );
  for (const [, est] of auc as [string, { value: number; low: number; high: number }][])
    t.true(est.low <= est.value && est.value <= est.high && est.value > 0.5, JSON.stringify(est));
  t.truthy(report.rows.find((r) => r.arm === 'a' && r.task === 'spend')?.metrics.rmse);
  t.truthy(report.rows.find((r) => r.arm === 'b' && r.task === 'segment')?.metrics.accuracy);
  const diff = report.differences.find((d) => d.arm === 'b' && d.task === 'clicked' && d.metric === 'auc');
  t.is(diff?.control, 'a');
  t.true(diff!.difference.low < diff!.difference.value && diff!.difference.value < diff!.difference.high);
  const cli = await runCli(['ab-report', '--feedback-dir', fb], work);
  t.is(cli.code, 0, cli.stderr);
  t.regex(cli.stdout, /300 feedback rows/);
  t.regex(cli.stdout, /^a\s+clicked\s+\d+\s+auc\s+0\.\d+\s+\[0\.\d+, 0\.\d+\]/m);
  t.regex(cli.stdout, /Against arm a/);
  t.regex(cli.stdout, /^b\s+clicked\s+auc\s+[+-]0\.\d+\s+\[[+-]0\.\d+, [+-]0\.\d+\]/m);
});

test.serial('kill -9 during a feedback burst: every acknowledged row is in the log, and the log parses', async (t) => {
  const { a } = await models();
  const fb = tempDir();
  const child = spawn(process.execPath, ['--import', TSX, MAIN, 'serve', '--model', a, '--port', '0', '--feedback-dir', fb, '--allow-unauthenticated-writes'], { cwd: work });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the server did not start in 30 s:\n${out}`)), 30_000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.stderr.on('data', (d) => (out += d));
  });
  const acknowledged: string[] = [];
  let sent = 0;
  let killed = false;
  const writer = async (k: number) => {
    for (let i = 0; i < 200 && !killed; i++) {
      const ids = Array.from({ length: 1 + (i % 5) }, (_, j) => `w${k}-${i}-${j}`);
      sent += ids.length;
      try {
        const r = await post(`${url}/feedback`, { rows: ids.map((id, j) => labelled(rows[(i + j) % rows.length], { id })) });
        if (r.status === 200) acknowledged.push(...ids);
      } catch {
        // the connection died with the server: not acknowledged
      }
    }
  };
  const writers = Array.from({ length: 6 }, (_, k) => writer(k));
  await new Promise((r) => setTimeout(r, 600));
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  killed = true;
  await exited;
  await Promise.all(writers);
  t.true(acknowledged.length > 20, `only ${acknowledged.length} rows were acknowledged before the kill`);
  const read = readFeedback([fb]);
  const logged = new Set(read.entries.map((e) => e.row.id as string));
  const lost = acknowledged.filter((id) => !logged.has(id));
  t.deepEqual(lost, [], `${lost.length} acknowledged rows are missing from the log`);
  t.true(read.skipped.every((s) => /unfinished/.test(s.reason)), JSON.stringify(read.skipped));
  t.true(logged.size <= sent);
  t.log(`${acknowledged.length} rows acknowledged, ${logged.size} logged, ${sent} sent, ${read.skipped.length} torn line(s)`);
});

test('serve and ab-report fail cleanly on a missing model, a bad split or a missing feedback directory', async (t) => {
  const { a } = await models();
  const cases: [string[], RegExp][] = [
    [['serve', '--model', join(work, 'nope')], /no saved model here/],
    [['serve', '--model', `a=${a}`, '--model', `b=${a}`, '--split', 'a=0.5,b=0.5'], /--split needs --split-key/],
    [['serve', '--model', `a=${a}`, '--split', 'a=1,c=2', '--split-key', 'user_id'], /no model arm named 'c'/],
    [['ab-report', '--feedback-dir', join(work, 'no-feedback')], /no such feedback directory/],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(args, work);
    t.is(r.code, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    t.regex(r.stderr, message);
    t.notRegex(r.stderr, /^\s+at /m, 'no stack trace');
  }
});

test('served cells read missing values as training does: a category None is a value, NaN in a numeric column is refused', (t) => {
  const columns = [
    { column: 'age', kind: 'numeric' as const, separator: '|' },
    { column: 'region', kind: 'categorical' as const, separator: '|' },
  ];
  const block = checkRows([{ age: 'NA', region: 'None' }, { age: '', region: 'N/A' }, { age: 3, region: 'NULL' }], columns);
  t.deepEqual([...block.numbers.get('age')!].map((v) => (Number.isNaN(v) ? 'missing' : v)), ['missing', 'missing', 3]);
  t.deepEqual(block.strings.get('region'), ['None', 'N/A', null]);
  for (const bad of ['nan', 'NaN', 'Infinity'])
    t.throws(() => checkRows([{ age: bad, region: 'x' }], columns), { message: /is not a finite number/ }, bad);
});
